"""Fetching an old blog's media into the site (`--download-media`).

Each file is fetched once (one already in its place is kept), several at a time, each with a time
and size limit, over http or https only. A file that cannot be fetched is named with the reason,
and the links to it go back to its old address: a failed download never leaves a broken link.
"""

import shutil
import tempfile
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

#: Seconds a file may take to start answering, and the most a file may weigh.
TIMEOUT = 30
MAX_BYTES = 200 * 1024 * 1024
WORKERS = 8
USER_AGENT = "Withness importer (reflections import wordpress --download-media)"


def _fetch(address: str, target: Path) -> str:
    """Fetch one file into `target`; "" when done, else why not."""
    if not address.startswith(("http://", "https://")):
        return "not an http or https address"
    request = urllib.request.Request(address, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 (scheme checked)
            if not answer.geturl().startswith(("http://", "https://")):
                return "redirected away from http"
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".withness-", delete=False) as out:
                size = 0
                while chunk := answer.read(1 << 16):
                    size += len(chunk)
                    if size > MAX_BYTES:
                        Path(out.name).unlink()
                        return f"larger than {MAX_BYTES // (1024 * 1024)} MB"
                    out.write(chunk)
            shutil.move(out.name, target)
            return ""
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return str(getattr(error, "reason", error))


def download(downloads: dict[str, str], content: Path) -> tuple[list[Path], dict[str, str], int]:
    """Fetch every `address → place` into `content/place`. Returns the files written, the
    addresses not fetched with why, and how many were there already."""
    wanted = {address: content / place for address, place in downloads.items()}
    there = {address for address, target in wanted.items() if target.is_file()}
    todo, places = [], set()
    for address, target in wanted.items():
        if address not in there and target not in places:  # http and https of one file: once
            places.add(target)
            todo.append((address, target))
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        reasons = list(pool.map(lambda pair: _fetch(*pair), todo))
    written = [target for (_, target), reason in zip(todo, reasons, strict=True) if not reason]
    failed = {address: reason for (address, _), reason in zip(todo, reasons, strict=True) if reason}
    return written, failed, len(there)
