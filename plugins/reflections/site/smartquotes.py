"""Python-Markdown's smarty extension, the same output for less work.

Smarty educates quotes, dashes and ellipses with eighteen patterns, and Python-Markdown tries every
one of them on every run of text of an essay, each with a regular-expression search over the run:
half the time it takes to convert an essay. Every one of those patterns matches only text holding a
certain character or run of characters (a quote for the quote patterns, `--` for the dashes, `...` for
the ellipsis, `<<` or `>>` for angled quotes). Here each pattern's search first asks whether the run
holds it at all, a lookup in C; when it does not, the pattern cannot match, and the search is skipped.
Otherwise the pattern's own search runs, so the output is smarty's own, byte for byte (a test
converts the essays, the seeds and a list of awkward cases both ways).

Use it in MARKDOWN's extension list as `pelican.plugins.reflections.site.smartquotes` in place of
`markdown.extensions.smarty`; it takes the same options. The plugin makes that swap itself
(settings.apply_defaults).
"""

from markdown.extensions.smarty import SmartyExtension

#: What a match of each of smarty's patterns holds, by the name smarty registers it under (a name
#: a later smarty does not have is left unguarded: slower, never different).
NEEDS = {
    "smarty-em-dashes": ("--",),
    "smarty-en-dashes": ("--",),
    "smarty-ellipses": ("...",),
    "smarty-left-angle-quotes": ("<<",),
    "smarty-right-angle-quotes": (">>",),
    **{f"smarty-quotes-{number}": ("'", '"') for number in range(15)},
}
#: The names a site's MARKDOWN setting may give smarty by.
SMARTY = ("markdown.extensions.smarty", "smarty")
NAME = __name__


class _Guarded:
    """A compiled pattern whose searches find nothing, at once, in text without what it needs."""

    def __init__(self, compiled, needs: tuple[str, ...]) -> None:
        self.compiled = compiled
        self.needs = needs

    def finditer(self, data: str, start: int = 0):
        for needed in self.needs:
            if needed in data:
                return self.compiled.finditer(data, start)
        return iter(())

    def __getattr__(self, name: str):
        return getattr(self.compiled, name)


class QuickSmartyExtension(SmartyExtension):
    def extendMarkdown(self, md) -> None:
        super().extendMarkdown(md)
        for name, needs in NEEDS.items():
            if name in self.inlinePatterns:
                pattern = self.inlinePatterns[name]
                pattern.compiled_re = _Guarded(pattern.compiled_re, needs)


def makeExtension(**kwargs) -> QuickSmartyExtension:
    return QuickSmartyExtension(**kwargs)


def swapped(config):
    """Pelican's MARKDOWN setting with smarty, wherever it names it, replaced by this extension (its
    options kept); the setting itself is not changed."""
    if not isinstance(config, dict):
        return config
    config = dict(config)
    options = config.get("extension_configs")
    if isinstance(options, dict):
        config["extension_configs"] = {_swap(name): kept for name, kept in options.items()}
    extensions = config.get("extensions")
    if isinstance(extensions, list | tuple):
        config["extensions"] = [_swap(extension) for extension in extensions]
    return config


def _swap(extension):
    return NAME if isinstance(extension, str) and extension in SMARTY else extension
