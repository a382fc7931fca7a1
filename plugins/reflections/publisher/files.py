"""The published files follow the store: written for an item that is published, removed for one
that is not. Decided from the store's state when the publisher acts, so a job run twice, or late,
or after a crash, leaves the same files."""

from datetime import tzinfo
from pathlib import Path

from ..core import published
from ..store import Reflection, Store


def published_item(row: Reflection, zone: tzinfo) -> published.PublishedItem:
    """The public part of a stored item, as its file holds it (its date on the site's clock)."""
    return published.PublishedItem(
        id=row.id,
        essay=row.essay,
        kind=row.kind,
        date=row.created.astimezone(zone),
        body=row.body,
        author=row.public_name,  # only the name as the reader chose to show it
        parent=row.parent,
        content_note=row.content_note,
        passage=row.passage,
        quote=row.quote,
        website=row.website,
        origin=row.origin,
        source=row.source,
    )


def _follow(root: Path, zone: tzinfo, row: Reflection | None, path: Path) -> str:
    """The file at `path` made to follow `row` (None: no such item any more): written when the item
    is published, removed when it is not. Raises published.FormatError for an item that cannot be
    written."""
    if row is not None and row.is_published:
        published.write(root, published_item(row, zone))
        return "written"
    if path.is_file():
        published.remove(path)
        return "removed"
    return "no file"


def sync(store: Store, root: Path, zone: tzinfo, essay: str, item_id: str) -> str:
    """Bring one item's file in line with the store; returns what was done, in a few words."""
    if not published.valid_location(essay, item_id):
        return "no file"  # such an item never had one
    return _follow(root, zone, store.get(item_id), published.path_of(root, essay, item_id))


def reconcile(store: Store, root: Path, zone: tzinfo) -> list[str]:
    """Bring every published file in line with the store (when a publisher starts): a published
    item with no file is written, a file of an item that is not published is removed. Files of
    items the store does not know (written by hand, imported) are left alone. Returns what was done."""
    files = {path.stem: path for path in published.published_files(root)}
    done = []
    for row in store.find():
        path = files.get(row.id)
        if row.is_published == (path is not None):
            continue  # in line already
        if path is None and not published.valid_location(row.essay, row.id):
            continue  # published, but it names no place a file could be
        try:
            _follow(root, zone, row, path or published.path_of(root, row.essay, row.id))
        except published.FormatError as error:
            done.append(f"{row.id}: not written: {error}")
            continue
        if row.is_published:
            done.append(f"{row.id}: published, its file was missing: written")
        else:
            done.append(f"{row.id}: {row.state}, but its file was on the site: removed")
    return done
