"""What one incremental publish touches: the writer (writer.SelectiveWriter) asks it page by page."""

from collections.abc import Iterable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Change:
    """What one incremental publish touches, by essay slug (reflections) or source path (essays)."""

    slugs: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    #: The order or grouping of essays changed: every list page and feed is a candidate.
    regrouped: bool = False
    count_templates: tuple[str, ...] = ()
    #: The essays touched, once found (`pinned`): then a set lookup answers `touches`.
    essays: frozenset | None = None

    def touches(self, essay) -> bool:
        if self.essays is not None:
            return essay in self.essays
        return essay.slug in self.slugs or essay.source_path in self.sources

    def among(self, contents: Iterable) -> list:
        """The contents this change touches, in their order. Once pinned, a set's own lookup walks
        the list: thousands of essays, walked several times in each publish, cost a fraction of a
        millisecond."""
        if self.essays is not None:
            return list(filter(self.essays.__contains__, contents))
        return [content for content in contents if self.touches(content)]

    def touches_any(self, contents: Iterable) -> bool:
        if self.essays is not None:
            return not self.essays.isdisjoint(contents)
        return any(self.touches(content) for content in contents)

    def pinned(self, contents: Iterable) -> "Change":
        """The same change with the essays it touches found once among `contents` (itself, when
        they are known already)."""
        if self.essays is not None:
            return self
        slugs, sources = self.slugs, self.sources
        found = frozenset(c for c in contents if c.slug in slugs or c.source_path in sources)
        return replace(self, essays=found)

    def wants_page(self, template: str, localcontext: dict) -> bool:
        essay = localcontext.get("article")
        if essay is not None and "articles_page" not in localcontext:
            return self.touches(essay)
        if self.sources and self.regrouped:
            return True
        if not self.sources and template not in self.count_templates:
            return False
        page = localcontext.get("articles_page")
        listed = page.object_list if page is not None else localcontext.get("dates") or ()
        return self.touches_any(listed)

    def wants_feed(self, path: str, entries: list) -> bool:
        # Pelican's feeds show essays, never reflections.
        return bool(self.sources) and (self.regrouped or self.touches_any(entries))
