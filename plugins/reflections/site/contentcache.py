"""Pelican's content cache written back only when a build added to it.

Pelican pickles and gzips its whole content cache at the end of every build, even one that found
every essay in it: at a thousand essays, most of a second of a warm build. It never removes an entry
(a deleted essay's stays until `make clean`), so a build that added nothing would write back the very
cache it read, and this leaves the file as it is.
"""


def save_only_when_added(generator) -> None:
    """Receiver of the articles and pages generators' init signals: for the generator's reader-level
    cache and its generator-level one, whichever Pelican's CONTENT_CACHING_LAYER uses."""
    for cacher in (generator.readers, generator):
        if getattr(cacher, "_cache_data_policy", False):
            _watch(cacher)


def _watch(cacher) -> None:
    cache_data, save_cache = cacher.cache_data, cacher.save_cache
    added = False

    def cache_and_note(filename, data) -> None:
        nonlocal added
        added = True
        cache_data(filename, data)

    def save_if_added() -> None:
        if added:
            save_cache()

    cacher.cache_data = cache_and_note
    cacher.save_cache = save_if_added
