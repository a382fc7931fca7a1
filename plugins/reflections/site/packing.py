"""What a build kept in memory holds compressed between the changes that use it.

A served site keeps every essay for its incremental publishes (warm.py). At three thousand essays
with twenty reflections each, the threads, their HTML and JSON-LD held as objects were most of its
memory, and the essays' own HTML a third of the rest. A change unpacks the few essays it touches
(tens of microseconds each). A build that ends with its process packs nothing: it would pay a
tenth of its time for it and keep nothing.

Once the kept build's pages are written, what it packed waits in a file on disk (`spool`), and its
essays share one object for each tag, category and author (`share_names`).
"""

import functools
import logging
import os
import pickle
import tempfile
import zlib
from collections.abc import Iterable
from pathlib import Path

from markupsafe import Markup

logger = logging.getLogger(__name__)

#: "on": what essays show of reflections is packed as it is set (a kept build, in this process).
#: "html": the essays' own HTML too, packed once a kept build has written its pages (`pack_html`),
#: so that the build itself never unpacks it.
_PACKING = {"on": False, "html": False}


def keep_packed(on: bool = True) -> None:
    """Pack from now on (a kept build, in this process), or not; the essays' HTML from `pack_html`."""
    _PACKING["on"], _PACKING["html"] = on, False


def packed(name: str, dump, load, empty, absent=None, when: str = "on", legacy: str = "") -> property:
    """An attribute kept compressed while builds are kept (`_PACKING[when]`); else kept as it is,
    read back as the same shared object (read, never changed in place: a change sets a new value).
    `empty()` is what a falsy value reads back as; `absent()` (else `empty()`) what an essay that
    never had one reads; `legacy`, where an essay pickled before this property holds it."""
    key, plain = f"_packed_{name}", f"_plain_{name}"
    absent = absent or empty

    def get(self):
        held = self.__dict__
        if plain in held:
            return held[plain]
        if key in held:
            return load(bytes(held[key])) if held[key] else empty()
        remake = held.get("_remade_by", {}).get(name)
        if remake is not None:
            return remake(self)
        return held[legacy] if legacy in held else absent()

    def set_(self, value) -> None:
        held = self.__dict__
        held.pop(plain, None)
        if not _PACKING[when]:
            held.pop(key, None)
            held[plain] = value if value else empty()
            return
        # The fastest level: most of the gain for a fraction of the time.
        held[key] = zlib.compress(dump(value), 1) if value else b""

    return property(get, set_)


def pack_html(essays: Iterable) -> None:
    """Pack each essay's HTML, once the kept build has written its pages; an essay read after this
    (a publish) packs its own as it is set. An essay's HTML before its passages' counts is most
    often the very same text: packed once, for both."""
    _PACKING["html"] = True
    for essay in essays:
        held = essay.__dict__
        content, original = held.get("_plain_content"), held.get("_plain_original_content")
        if content is None:
            continue
        essay._content = content
        if original is not None:
            if original == content:
                held.pop("_plain_original_content")
                held["_packed_original_content"] = held["_packed_content"]
            else:
                essay.reflection_original_content = original


def let_go(essays: Iterable, remakers: dict) -> None:
    """Let go of what each essay keeps that its page alone shows, once the kept build has written
    its pages; `remakers[name](essay)` makes it again for a publish that renders that page once
    more (an essay's neighbour, its translation). A publish that changes it sets it anew."""
    # Each essay is given the remakers of what it let go, and of nothing it never had; the same
    # few dicts are shared by all.
    shared: dict[tuple, dict] = {}
    for essay in essays:
        held = essay.__dict__
        gone = tuple(name for name in remakers if held.get(f"_packed_{name}"))
        if not gone:
            continue
        for name in gone:
            del held[f"_packed_{name}"]
        held["_remade_by"] = shared.setdefault(gone, {name: remakers[name] for name in gone})


class Spooled:
    """Packed bytes that wait in a spool file (`spool`), read back when asked for. Pickled, it is
    the bytes themselves: a cache written from an essay never points into a file that is gone."""

    __slots__ = ("_fd", "_file", "offset", "size")

    def __init__(self, file, offset: int, size: int) -> None:
        # The file object is held so the file stays open as long as an essay points into it.
        self._file, self._fd, self.offset, self.size = file, file.fileno(), offset, size

    def __bytes__(self) -> bytes:
        return os.pread(self._fd, self.size, self.offset)

    def __bool__(self) -> bool:
        return self.size > 0

    def __reduce__(self):
        return bytes, (bytes(self),)


def spool(essays: Iterable, folder: str | os.PathLike | None = None) -> None:
    """Move what the kept build's essays hold packed into one file on disk, once its pages are
    written: the few a publish touches are read back (a pread each), and what the kernel caches
    of the file it may give up under pressure, as it may not a process's own memory. The file has
    no name (it goes with the process, or with the last essay that points into it), in `folder`
    (the site's cache) where it can be made, else in the system's temporary folder; where neither
    can be written, everything stays packed in memory. A publish packs what it changes in memory."""
    held_by: list[tuple[dict, str, bytes]] = []
    for essay in essays:
        held = essay.__dict__
        held_by += [
            (held, name, value)
            for name, value in held.items()
            if name.startswith("_packed_") and type(value) is bytes and value
        ]
    # Bytes packed once for two names (pack_html) are written once and stay shared.
    spooled: dict[int, Spooled] = {}
    try:
        file = _spool_file(folder)
        offset = 0
        for _held, _name, value in held_by:
            if id(value) not in spooled:
                file.write(value)
                spooled[id(value)] = Spooled(file, offset, len(value))
                offset += len(value)
        file.flush()
    except OSError as error:  # a full disk, say: nothing is moved
        logger.warning("What the kept build holds packed stays in memory: %s", error)
        return
    for held, name, value in held_by:
        held[name] = spooled[id(value)]


def _spool_file(folder):
    if folder and Path(folder).is_dir():
        try:
            return tempfile.TemporaryFile(dir=folder)
        except OSError:
            pass
    return tempfile.TemporaryFile()


def share_names(essays: Iterable, generator) -> None:
    """Give every kept essay the generator's own Tag, Category and Author objects for its names.

    Pelican makes a new one each time an essay names one, equal to the others of that slug; the
    generator's lists hold the first of each. Three thousand essays held ten thousand copies of a
    few dozen names: 4 MB for the life of a kept build."""
    names = [*generator.tags, *(name for name, _ in generator.categories)]
    names += [name for name, _ in generator.authors]
    canonical = {(type(name), name.slug): name for name in names}

    def one(name):
        return canonical.get((type(name), name.slug), name)

    for essay in essays:
        held, metadata = essay.__dict__, getattr(essay, "metadata", {})
        for key in ("tags", "authors"):
            if held.get(key):
                held[key] = [one(name) for name in held[key]]
                if key in metadata:
                    metadata[key] = held[key]
        for key in ("category", "author"):
            if held.get(key) is not None and hasattr(held[key], "slug"):
                held[key] = one(held[key])
                if key in metadata:
                    metadata[key] = held[key]


def packed_bytes_of(essay, name: str) -> bytes:
    """The bytes an essay holds packed for `name` (b"" when none), wherever they wait: for a
    reader that keys what it makes of them by those bytes (feeds.newest_first)."""
    held = essay.__dict__.get(f"_packed_{name}")
    return bytes(held) if held else b""


def unpickled(packed_bytes: bytes):
    return pickle.loads(zlib.decompress(packed_bytes))


#: A packed thread, unpacked; the last ones asked for are kept (the site's feed reads the same few
#: dozen essays on every publish). Shared, so read-only: a change sets a new thread.
_thread_of = functools.lru_cache(maxsize=128)(unpickled)


def packed_thread(packed_bytes: bytes) -> list:
    """A thread from what an essay keeps packed (build.newest_first reads it so)."""
    return _thread_of(packed_bytes)


def utf8(html: str) -> bytes:
    return str(html).encode("utf-8")


def text(packed_bytes: bytes) -> str:
    return zlib.decompress(packed_bytes).decode("utf-8")


def markup(packed_bytes: bytes) -> Markup:
    return Markup(text(packed_bytes))
