"""The one way this plugin writes a file: through a temporary file in the same folder and a rename,
so no reader (a web server, Pelican, the watcher) ever sees half a file."""

import os
import tempfile
from functools import cache
from pathlib import Path


@cache
def ordinary_file_mode() -> int:
    """The mode a plain `open()` would give a new file: mkstemp's 0600 would hide it from a web server.

    Read once: reading the umask means setting it, which is process-wide and so racy in threads.
    """
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(path: Path, data: bytes, durable: bool = False) -> None:
    """Replace `path` with `data` at once. `durable` also flushes the bytes to disk before the
    rename: for what cannot be made again (a reader's published words), not for build output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temporary, ordinary_file_mode())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_if_changed(path: Path, data: bytes, written: list[str]) -> None:
    """Write atomically unless the file already holds these bytes; note the path when written."""
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_atomically(path, data)
    written.append(str(path))
