"""The quicker smarty gives smarty's own output, and the plugin uses it in place of smarty."""

from pathlib import Path

import markdown
import pytest
from conftest import REPO, build_site, copy_site
from pelican.plugins.reflections.site import smartquotes
from pelican.plugins.reflections.site.settings import apply_defaults

AWKWARD = [
    "\"Hello,\" she said. 'Quoted' words in a \"larger 'quote' here\".",
    "He said, \"'Quoted' words in a larger quote.\" And 'twas the '80s -- or the '90s --- who knows...",
    "'s and \"s at the start, and a quote at the end'",
    "Don't, can't, won't; the 1990's; rock 'n' roll; \"...\"; '...'",
    "A dash -- an em --- a long ---- run, and ... and .... dots.",
    "`code with \"quotes\" -- and 'ticks'` and **\"bold\"** and *'em'*",
    '<<angled>> quotes, &nbsp;"after a space entity", &mdash;"after a dash entity"',
    "A [\"linked\" title](https://example.org/'q') and ![an 'image'](a.png \"a 'title'\")",
    '> "A quote block" -- with \'nesting\'\n>\n> > and "more"',
    "| \"a\" | 'b' |\n|---|---|\n| -- | ... |",
    'Footnote[^1] "here".\n\n[^1]: It\'s "noted" -- here.',
    '"',
    "'",
    "--",
    "\"'\"'",
]
OPTIONS = [{}, {"smart_angled_quotes": True}, {"smart_dashes": False, "substitutions": {"ellipsis": "…"}}]
EXTENSIONS = ["markdown.extensions.footnotes", "markdown.extensions.tables", "markdown.extensions.toc"]


def texts() -> list[str]:
    """The awkward cases and this site's essays and pages: long prose with every kind of quote."""
    written = sorted((REPO / "content").rglob("*.md"))
    assert len(written) >= 5
    return AWKWARD + [path.read_text(encoding="utf-8") for path in written]


def convert(text: str, smarty: str, options: dict) -> str:
    md = markdown.Markdown(extensions=[*EXTENSIONS, smarty], extension_configs={smarty: options})
    return md.convert(text)


@pytest.mark.parametrize("options", OPTIONS)
def test_the_quicker_smarty_gives_smartys_own_output(options):
    for text in texts():
        expected = convert(text, "markdown.extensions.smarty", options)
        assert convert(text, smartquotes.NAME, options) == expected, text[:80]
    # The cases really are educated (else the comparison says little).
    assert "&ldquo;" in convert(AWKWARD[0], smartquotes.NAME, options)


def test_the_plugin_swaps_smarty_wherever_the_setting_names_it():
    settings = {
        "MARKDOWN": {
            "extension_configs": {"markdown.extensions.toc": {}, "markdown.extensions.smarty": {"x": 1}},
            "extensions": ["smarty", "tables"],
            "output_format": "html5",
        }
    }
    given = settings["MARKDOWN"]
    apply_defaults(settings)
    swapped = settings["MARKDOWN"]
    assert list(swapped["extension_configs"]) == ["markdown.extensions.toc", smartquotes.NAME]
    assert swapped["extension_configs"][smartquotes.NAME] == {"x": 1}
    assert swapped["extensions"] == [smartquotes.NAME, "tables"]
    assert "markdown.extensions.smarty" in given["extension_configs"]  # the site's own setting unchanged


def test_a_site_built_with_the_plugin_has_its_quotes_educated(tmp_path: Path):
    root = copy_site(tmp_path / "site")
    essay = root / "content" / "essays" / "the-kitchen-table.md"
    added = '\nShe said "stay" -- and I did...\n'
    essay.write_text(essay.read_text(encoding="utf-8") + added, encoding="utf-8")
    result = build_site(root / "pelicanconf.py", tmp_path / "output", tmp_path / "cache", cwd=root)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "output" / "essays" / "the-kitchen-table" / "index.html").read_text(encoding="utf-8")
    assert "She said &ldquo;stay&rdquo; &ndash; and I did&hellip;" in page
