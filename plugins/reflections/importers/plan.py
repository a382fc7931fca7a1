"""What every importer shares: a `Plan` of everything a source holds, read whole before anything is
written, and `apply`, which writes it into the site all or nothing. Each source (wordpress.py,
disqus.py) is a small module that reads its format into a Plan."""

import codecs
import hashlib
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml_text
from defusedxml.ElementTree import parse as parse_xml
from ulid import ULID

from ..core import lengths, published
from ..core.essay_header import EssayInfo
from ..core.files import write_atomically
from ..store import Reflection, Store, body_hash
from .addresses import merge_redirects
from .media import download
from .shortcodes import Media


class ImportFailed(ValueError):
    """A source that cannot be imported: one line naming it and saying why."""


def read_map(path: str | os.PathLike) -> dict[str, str]:
    """A `--map` file: one `OLD-ADDRESS-OR-NAME ESSAY-SLUG` a line; `#` starts a comment."""
    mapping = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ImportFailed(f"{path}: cannot be read ({error})") from None
    for number, line in enumerate(lines, start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ImportFailed(f"{path}: line {number}: expected `OLD-ADDRESS-OR-NAME ESSAY-SLUG`")
        mapping[parts[0]] = parts[1]
    return mapping


def _as_windows_1252(error: UnicodeDecodeError) -> tuple[str, int]:
    """A byte that is not UTF-8, read as Windows-1252 (what an old editor saved it in)."""
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", errors="replace"), error.end


codecs.register_error("withness-windows-1252", _as_windows_1252)


def read_text(path: Path) -> str:
    """A file of another system's as text, as real exports hold it: UTF-8 with or without a byte
    order mark, CRLF or LF, and Windows-1252 bytes in a file that says it is UTF-8 (one comment
    pasted from an old editor) read as what they are, the rest of the file as UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFailed(f"{path}: cannot be read ({error.strerror or error})") from None
    text = data.decode("utf-8-sig", errors="withness-windows-1252")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def essay_matcher(essays: dict[str, EssayInfo], mapping: dict[str, str]):
    """`essay_of(identifier, link)`: the slug of the essay an old thread was on, or None. The
    `--map` file first (by identifier, link or the link's path), then the identifier or the link's
    last path segment being a slug, then the link's path being an essay's address."""
    return _matcher({slug: essay.url for slug, essay in essays.items()}, mapping)


def _matcher(addresses: dict[str, str], mapping: dict[str, str]):
    by_path = {"/" + unquote(urlsplit(url).path).strip("/"): slug for slug, url in addresses.items() if url}

    def slug_of(identifier: str, link: str) -> str | None:
        path = "/" + unquote(urlsplit(link).path).strip("/")
        for key in (identifier, link, path):
            if key and key in mapping:
                return mapping[key]
        last = path.rstrip("/").rsplit("/", 1)[-1]
        for candidate in (identifier, last.removesuffix(".html")):
            if candidate in addresses:
                return candidate
        return by_path.get(path)

    return slug_of


#: Where a page's comments are counted: pages take no reflections, and are no unknown thread.
ON_PAGES = "comments on pages skipped (pages take no reflections)"


class Unmatched:
    """The threads of a source that match no essay: one note each, with its comment count, to
    fix with `--map`; a thread on one of the site's pages (`pages`, slug → address) is only
    counted, as pages take no reflections."""

    def __init__(self, plan: "Plan", pages: dict[str, str] | None, threads: str = "threads") -> None:
        self.plan = plan
        self.threads = threads
        self._page_of = _matcher(pages or {}, {})
        self._counts: Counter = Counter()

    def add(self, thread: str, comments: int, identifier: str = "", link: str = "") -> None:
        if self._page_of(identifier, link):
            self.plan.counts[ON_PAGES] += comments
            return
        self._counts[thread] += comments
        self.plan.counts[f"comments on {self.threads} that match no essay (see below; --map)"] += comments

    def notes(self) -> list[str]:
        return [
            f"{thread}: {count} comment(s), no essay matches"
            for thread, count in sorted(self._counts.items())
        ]


_DECLARED_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']+)""")


def read_xml(path: str | os.PathLike, repair: Callable[[bytes], bytes] = lambda data: data) -> Element:
    """An export's XML root. A file that does not parse as it is is read again with `repair`
    applied and, when it says it is UTF-8 (or says nothing), as read_text reads text: Windows-1252
    bytes pasted into it read as what they are. If it still does not parse, the first error is
    the one said."""
    try:
        try:
            return parse_xml(path).getroot()
        except ParseError as first:
            data = Path(path).read_bytes()
            declared = _DECLARED_ENCODING.match(data)
            encoding = declared.group(1).decode("ascii", "replace").lower() if declared else "utf-8"
            if encoding in ("utf-8", "utf8"):
                data = data.decode("utf-8-sig", errors="withness-windows-1252").encode("utf-8")
            try:
                return parse_xml_text(repair(data))
            except ParseError:
                raise first from None
    except (ParseError, DefusedXmlException) as error:
        raise ImportFailed(f"{path}: not a readable XML file ({error})") from None
    except OSError as error:
        raise ImportFailed(f"{path}: cannot be read ({error.strerror or error})") from None


@dataclass
class Plan:
    """Everything an export holds, ready to write."""

    site: str
    version: str
    #: What it was read from ("wordpress", "disqus"): the queue's log says who added what.
    source: str = "wordpress"
    essays: list[tuple[str, str]] = field(default_factory=list)  # (slug, file text)
    pages: list[tuple[str, str]] = field(default_factory=list)
    comments: list[published.PublishedItem] = field(default_factory=list)  # approved: published
    pending: list[Reflection] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    #: The blog's usual offset from UTC (blog_zone).
    zone: tzinfo = UTC
    #: Files of a folder source that could not be read: (file, why). The dry run lists them; the
    #: import refuses while there are any, unless told to skip them.
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    #: The export's attachments, for its galleries.
    media: Media = field(default_factory=Media)
    #: (old path, content source) for every old permalink: the site's redirect map.
    redirects: list[tuple[str, str]] = field(default_factory=list)
    #: Media to download: old address → its place in the content folder ("images/2011/a.png").
    downloads: dict[str, str] = field(default_factory=dict)

    def publish(self, item_id: str, essay: str, moment: datetime, body: str, name: str, **given) -> None:
        """An approved comment to publish: the author's response when `response` (its website,
        the site itself, left out), else a comment with its `parent` and `website`."""
        response = given.get("response", False)
        self.comments.append(
            published.PublishedItem(
                id=item_id,
                essay=essay,
                kind="response" if response else "comment",
                date=moment,
                body=body,
                author=name[: lengths.MAX_NAME],
                parent=given.get("parent", ""),
                website="" if response else given.get("website", ""),
            )
        )
        self.counts["the author's replies imported as responses" if response else "comments published"] += 1


def comment_id(site: str, original_id: str, moment: datetime) -> str:
    """A sortable id (a ULID) that is the same every time the same comment is imported."""
    milliseconds = int(moment.timestamp() * 1000).to_bytes(6, "big")
    randomness = hashlib.sha256(f"{site}\0{original_id}".encode()).digest()[:10]
    return str(ULID.from_bytes(milliseconds + randomness))


def pending(
    item_id: str, essay: str, parent: str, name: str, email: str, body: str, moment: datetime
) -> Reflection:
    """An imported comment that was awaiting approval, as the queue holds it (marked imported)."""
    return Reflection(
        id=item_id,
        essay=essay,
        parent=parent,
        kind="comment",
        visibility="public",
        state="pending",
        name=name[: lengths.MAX_NAME],
        email=email[: lengths.MAX_EMAIL],
        notify=False,
        body=body[: lengths.MAX_BODY],
        content_note="",
        address_hash="",
        body_hash=body_hash(body),
        flags="imported",
        created=moment,
    )


def kept_website(address: str, counts: Counter) -> str:
    """A commenter's website as the published format takes it; one it cannot is left out, counted."""
    if address and not published.valid_website(address):
        counts["commenters' websites left out (not an http or https address)"] += 1
        return ""
    return address


def apply(
    plan: Plan,
    essays: Path,
    pages: Path,
    reflections: Path,
    store: Store | None,
    dry_run: bool = False,
    content: Path | None = None,
    redirects: Path | None = None,
) -> list[str]:
    """Write the plan into the site: essays into `essays`, pages into `pages`, published comments
    into the published-reflections folder `reflections` (through core.published, the one writer of
    that format), unapproved comments into the store's queue, media into `content` and old
    permalinks into the redirect map `redirects`. Returns one line per thing that was not written
    and why."""
    notes: list[str] = []
    fetched: list[Path] = []
    if plan.downloads and content is not None:
        if dry_run:
            waiting = sum(1 for place in set(plan.downloads.values()) if not (content / place).is_file())
            plan.counts["media files that would be downloaded"] = waiting
        else:
            fetched = _download(plan, content, notes)
    targets: list[tuple[Path, bytes]] = []
    for name, folder, files in (("essays", essays, plan.essays), ("pages", pages, plan.pages)):
        for slug, text in files:
            target = folder / f"{slug}.md"
            if target.exists():
                if target.read_text(encoding="utf-8") != text:
                    notes.append(f"{target}: already exists, kept as it is")
                plan.counts[f"{name} already there"] += 1
            else:
                targets.append((target, text.encode("utf-8")))
    comments = []
    for item in plan.comments:
        target = published.path_for(reflections, item)
        if published.snapshot(target) == published.serialise(item).encode("utf-8"):
            plan.counts["comments already published"] += 1
        else:
            comments.append(item)
    new_pending = [row for row in plan.pending if store is None or store.get(row.id) is None]
    plan.counts["comments already in the queue"] += len(plan.pending) - len(new_pending)
    if redirects is not None and plan.redirects:
        existing = redirects.read_text(encoding="utf-8") if redirects.is_file() else ""
        merged, added = merge_redirects(existing, plan.redirects)
        plan.counts["old addresses added to the redirect map"] = added
        if added:
            targets.append((redirects, merged.encode("utf-8")))
    plan.counts["files written"] = 0 if dry_run else len(targets) + len(comments)
    if dry_run:
        plan.counts["files that would be written"] = len(targets) + len(comments)
        return notes
    # All or nothing: a file that cannot be written leaves the site as it was.
    written: list[Path] = list(fetched)
    try:
        for target, data in targets:
            existed = target.exists()
            write_atomically(target, data)
            if not existed:
                written.append(target)
        published.write_all(reflections, comments)
    except BaseException:
        for target in written:
            target.unlink(missing_ok=True)
        raise
    if store is not None and new_pending:
        store.add_many(new_pending, actor=f"{plan.source} import")
    return notes


def _download(plan: Plan, content: Path, notes: list[str]) -> list[Path]:
    """Fetch the plan's media; the links to a file that could not be fetched go back to it."""
    fetched, failed, there = download(plan.downloads, content)
    plan.counts["media files downloaded"] = len(fetched)
    plan.counts["media files already there"] = there
    plan.counts["media files not downloaded (left on the old blog)"] = len(failed)
    for address, reason in sorted(failed.items()):
        notes.append(f"{address}: not downloaded ({reason})")
        local = "{static}/" + plan.downloads[address]
        for files in (plan.essays, plan.pages):
            files[:] = [(slug, text.replace(local, address)) for slug, text in files]
    return fetched
