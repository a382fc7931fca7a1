"""The published-reflection file: one module reads and writes `content/reflections/<essay>/<id>.md`.

    Id: 01JD8Z6Q4N4W4V9K2M3X5Y7Z8A
    Essay: the-kitchen-table
    Kind: reflection
    Parent: 01JD8Y...            (optional)
    Author: Mira                 (empty means "A reader")
    Date: 2026-03-15T09:12:00+00:00
    Content_note: grief          (optional)
    Website: https://mira.example (optional: an imported comment's; the name links to it)

    The Markdown body.

Only public fields exist here: no email, no address, no visibility. A private reflection is never
written as a file.
"""

import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from pathlib import Path

from ulid import ULID

from .files import write_atomically
from .i18n import N_
from .lengths import MAX_ADDRESS, MAX_CONTENT_NOTE, MAX_ID, MAX_NAME, MAX_PASSAGE, MAX_QUOTE, MAX_WEBSITE

KINDS = ("reflection", "comment", "response")
FIELDS = (
    "Id",
    "Essay",
    "Kind",
    "Parent",
    "Author",
    "Website",
    "Date",
    "Content_note",
    "Passage",
    "Quote",
    "Origin",
    "Source",
)
#: Where an item from elsewhere came from (an item of this site's own has no Origin).
ORIGINS = ("webmention", "mastodon", "bluesky")
REQUIRED = ("Id", "Essay", "Kind", "Date")
_ID = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_ID - 1}}}$")
_PASSAGE = re.compile(rf"^[\w-]{{1,{MAX_PASSAGE}}}$")
_SLUG_FORBIDDEN = re.compile(r"[\s/\\]|^\.\.?$")
#: An absolute http or https address with a host, and nothing an attribute or a page could take as
#: markup (the templates escape it all the same).
_WEBSITE = re.compile(r"^https?://[^/\s?#\"'<>`\\]+[^\s\"'<>`\\]*$", re.IGNORECASE)


#: What a reader who gave no name is called, everywhere: pages, feeds, mails, moderation, the CLI.
ANONYMOUS = N_("A reader")  # translated where it is shown


def display_name(name: str) -> str:
    """The name shown for what a reader sent: theirs, or ANONYMOUS when they gave none."""
    return name or ANONYMOUS


#: How a reader chose their name to be shown: as typed, the first name only, initials, or not at
#: all ("A reader"). Only the name so shown is ever published.
NAME_SHOWN = ("full", "first", "initials", "none")


def shown_as(name: str, choice: str) -> str:
    """The public form of a reader's name ("" for none): `choice` is one of NAME_SHOWN."""
    words = name.split()
    if not words or choice == "none":
        return ""
    if choice == "first":
        return words[0]
    if choice == "initials":
        return " ".join(f"{word[0].upper()}." for word in words if word[0].isalnum()) or ""
    return " ".join(words)


class FormatError(ValueError):
    """A published-reflection file that cannot be read; names the file and the field."""

    def __init__(self, path: str | os.PathLike, field: str, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        super().__init__(f"{path}: {field}: {problem}")


#: The controls that turn the direction of the text after them (embeddings, overrides, isolates):
#: in a name they flip the words around it. Marks (U+200E, U+200F) and joiners stay: names need them.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def without_bidi_controls(value: str) -> str:
    return BIDI_CONTROLS.sub("", value)


def one_line(value: str) -> str:
    """A header value: one line, no control characters, no surrounding space."""
    value = "".join(
        " " if unicodedata.category(c).startswith("C") else c for c in without_bidi_controls(value)
    )
    return " ".join(value.split())


def normalise_body(body: str) -> str:
    body = body.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return body.strip("\n")


@dataclass(frozen=True)
class PublishedItem:
    """A published reflection, comment or author's response, exactly as its file holds it."""

    id: str
    essay: str
    kind: str
    date: datetime
    body: str
    author: str = ""
    parent: str = ""
    content_note: str = ""
    website: str = ""
    #: The passage of the essay it answers (its anchor) and the words it quotes; "" for the essay.
    passage: str = ""
    quote: str = ""
    #: From elsewhere: where (ORIGINS) and its own address there, which the page links to.
    origin: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "quote", one_line(self.quote))
        object.__setattr__(self, "author", one_line(self.author))
        object.__setattr__(self, "content_note", one_line(self.content_note))
        object.__setattr__(self, "website", one_line(self.website))
        object.__setattr__(self, "source", one_line(self.source))
        object.__setattr__(self, "body", normalise_body(self.body))

    @property
    def shown_name(self) -> str:
        return display_name(self.author)

    def verify(self) -> tuple[str, str] | None:
        """(field, reason) for the first thing wrong with this item, or None when it is valid."""
        if not _ID.match(self.id):
            return "Id", f"{self.id!r} is not an id (letters, digits, - and _, at most 64)"
        if not self.essay or _SLUG_FORBIDDEN.search(self.essay):
            return "Essay", f"{self.essay!r} is not an essay slug"
        if self.kind not in KINDS:
            return "Kind", f"{self.kind!r} is not one of {', '.join(KINDS)}"
        if self.parent and not _ID.match(self.parent):
            return "Parent", f"{self.parent!r} is not an id"
        if self.parent == self.id:
            return "Parent", "an item cannot answer itself"
        if self.date.tzinfo is None:
            return "Date", "needs a time zone, for example 2026-03-14T08:30:00+00:00"
        if len(self.author) > MAX_NAME:
            return "Author", f"longer than {MAX_NAME} characters"
        if self.website and not valid_website(self.website):
            return "Website", f"{self.website[:80]!r} is not an http or https address (at most {MAX_WEBSITE})"
        if len(self.content_note) > MAX_CONTENT_NOTE:
            return "Content_note", f"longer than {MAX_CONTENT_NOTE} characters"
        if self.passage and not _PASSAGE.match(self.passage):
            return "Passage", f"{self.passage[:80]!r} is not a passage's anchor (letters, digits and -)"
        if len(self.quote) > MAX_QUOTE:
            return "Quote", f"longer than {MAX_QUOTE} characters"
        if self.origin and self.origin not in ORIGINS:
            return "Origin", f"{self.origin!r} is not one of {', '.join(ORIGINS)}"
        if self.origin and not valid_website(self.source, MAX_ADDRESS):
            return "Source", f"{self.source[:80]!r} is not an http or https address (at most {MAX_ADDRESS})"
        if self.source and not self.origin:
            return "Source", "only an item from elsewhere (with an Origin) has a Source"
        if not self.body.strip():
            return "body", "empty"
        return None


def valid_website(address: str, longest: int = MAX_WEBSITE) -> bool:
    """Whether `address` may be a published item's Website (or Source): http or https, a host, no
    markup."""
    return len(address) <= longest and _WEBSITE.match(address) is not None


def new_id(moment: datetime | None = None) -> str:
    """A unique id that sorts by time (a ULID)."""
    return str(ULID.from_datetime(moment) if moment else ULID())


def serialise(item: PublishedItem) -> str:
    """The file's text. Same item, same bytes."""
    values = {
        "Id": item.id,
        "Essay": item.essay,
        "Kind": item.kind,
        "Parent": item.parent,
        "Author": item.author,
        "Website": item.website,
        "Date": item.date.isoformat(),
        "Content_note": item.content_note,
        "Passage": item.passage,
        "Quote": item.quote,
        "Origin": item.origin,
        "Source": item.source,
    }
    lines = [f"{key}: {value}".rstrip() for key, value in values.items() if value or key in ("Author",)]
    return "\n".join(lines) + "\n\n" + item.body + "\n"


def parse(text: str, path: str | os.PathLike = "<text>") -> PublishedItem:
    """Read a file's text; raises FormatError naming the field for anything wrong."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    header, separator, body = text.partition("\n\n")
    if not separator:
        raise FormatError(path, "body", "missing (a blank line must separate the header from the body)")
    known = {name.lower(): name for name in FIELDS}
    values: dict[str, str] = {}
    for number, line in enumerate(header.split("\n"), start=1):
        key, colon, value = line.partition(":")
        name = known.get(key.strip().lower())
        if not colon or not key.strip():
            raise FormatError(path, f"line {number}", f"{line!r} is not a 'Key: value' line")
        if name is None:
            raise FormatError(
                path, key.strip(), f"not a field of a published reflection (allowed: {', '.join(FIELDS)})"
            )
        if name in values:
            raise FormatError(path, name, "given twice")
        values[name] = value.strip()
    for name in REQUIRED:
        if not values.get(name):
            raise FormatError(path, name, "missing")
    try:
        date = datetime.fromisoformat(values["Date"])
    except ValueError:
        raise FormatError(path, "Date", f"{values['Date']!r} is not an ISO 8601 date") from None
    item = PublishedItem(
        id=values["Id"],
        essay=values["Essay"],
        kind=values["Kind"].lower(),
        date=date,
        body=body,
        author=values.get("Author", ""),
        parent=values.get("Parent", ""),
        content_note=values.get("Content_note", ""),
        website=values.get("Website", ""),
        passage=values.get("Passage", ""),
        quote=values.get("Quote", ""),
        origin=values.get("Origin", "").lower(),
        source=values.get("Source", ""),
    )
    problem = item.verify()
    if problem:
        raise FormatError(path, *problem)
    return item


def read(path: str | os.PathLike) -> PublishedItem:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FormatError(path, "file", "is not UTF-8 text") from None
    item = parse(text, path)
    if path.stem != item.id:
        raise FormatError(path, "Id", f"{item.id!r} does not match the file name {path.name!r}")
    if path.parent.name != item.essay:
        raise FormatError(path, "Essay", f"{item.essay!r} but the file is in the folder {path.parent.name!r}")
    return item


def path_of(root: str | os.PathLike, essay: str, item_id: str) -> Path:
    """Where the published item `item_id` of `essay` lives under `root` (content/reflections/)."""
    return Path(root) / essay / f"{item_id}.md"


def path_for(root: str | os.PathLike, item: PublishedItem) -> Path:
    return path_of(root, item.essay, item.id)


def valid_location(essay: str, item_id: str) -> bool:
    """Whether an item with this essay slug and id can have a file (inside its essay's folder)."""
    return bool(_ID.match(item_id)) and bool(essay) and not _SLUG_FORBIDDEN.search(essay)


def write(root: str | os.PathLike, item: PublishedItem) -> Path:
    """Write the item's file atomically (temporary file, then rename) and idempotently."""
    problem = item.verify()
    if problem:
        raise FormatError(path_for(root, item), *problem)
    target = path_for(root, item)
    data = serialise(item).encode("utf-8")
    if target.exists() and target.read_bytes() == data:
        return target
    write_atomically(target, data, durable=True)
    return target


def write_all(root: str | os.PathLike, items: list[PublishedItem]) -> list[Path]:
    """Write many items' files: all of them, or (when one fails) none, the others put back."""
    undo: list[tuple[Path, bytes | None]] = []
    try:
        for item in items:
            path = path_for(root, item)
            undo.append((path, snapshot(path)))
            write(root, item)
    except BaseException:
        for path, data in reversed(undo):
            put_back(path, data)
        raise
    return [path for path, _data in undo]


def snapshot(path: Path) -> bytes | None:
    """A published file's bytes now (None when there is no file): what `put_back` restores."""
    return path.read_bytes() if path.is_file() else None


def remove(path: Path) -> None:
    """Take a published file off the site (it is no longer published)."""
    path.unlink(missing_ok=True)


def put_back(path: Path, data: bytes | None) -> None:
    """Return a file to what it was: these bytes, or no file at all (undoing a write or removal)."""
    if data is None:
        path.unlink(missing_ok=True)
    elif not path.is_file() or path.read_bytes() != data:
        write_atomically(path, data, durable=True)


def published_files(root: str | os.PathLike) -> list[Path]:
    """Every published-item file under root (`<essay>/<id>.md`), in a stable order."""
    return [Path(entry.path) for _, entry in published_entries(root)]


def published_entries(root: str | os.PathLike) -> list[tuple[str, os.DirEntry]]:
    """(essay, directory entry) of every published-item file under root, in published_files' order:
    a whole build looks at tens of thousands, and an entry's stat is one system call, with no path
    object made for a file it does not read."""
    if not os.path.isdir(root):
        return []
    with os.scandir(root) as folders:
        essays = [folder.name for folder in folders if folder.is_dir() and not folder.name.startswith(".")]
    # Sorted as whole paths would sort ("a-b/" before "a/"), so the order never depends on the walk.
    return [
        (essay, entry)
        for essay in sorted(essays, key=lambda name: name + "/")
        for entry in _entries(os.path.join(root, essay))
    ]


def essay_files(root: str | os.PathLike, essay: str) -> list[Path]:
    """The published-item files of one essay, in a stable order."""
    return [Path(entry.path) for entry in _entries(os.path.join(root, essay))]


def _entries(folder: str) -> list[os.DirEntry]:
    if not os.path.isdir(folder):
        return []
    with os.scandir(folder) as entries:
        return sorted(
            (
                entry
                for entry in entries
                if entry.name.endswith(".md") and not entry.name.startswith(".") and entry.is_file()
            ),
            key=attrgetter("name"),
        )


def read_all(root: str | os.PathLike) -> tuple[list[PublishedItem], list[FormatError]]:
    """Every published item under root, and an error for each file that could not be read."""
    items, errors = [], []
    for path in published_files(root):
        try:
            items.append(read(path))
        except FormatError as error:
            errors.append(error)
    return items, errors
