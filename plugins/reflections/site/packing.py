"""What a build kept in memory holds compressed between the changes that use it.

A served site keeps every essay for its incremental publishes (warm.py). At three thousand essays
with twenty reflections each, the threads, their HTML and JSON-LD held as objects were most of its
memory, and the essays' own HTML a third of the rest. A change unpacks the few essays it touches
(tens of microseconds each). A build that ends with its process packs nothing: it would pay a
tenth of its time for it and keep nothing.
"""

import functools
import pickle
import zlib
from collections.abc import Iterable

from markupsafe import Markup

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
            return load(held[key]) if held[key] else empty()
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
