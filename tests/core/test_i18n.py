"""Languages: every catalogue complete, every message marked, plurals and dates in the language,
a site's own words over the shipped ones."""

import gettext
import re
import subprocess
import sys
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from conftest import REPO
from jinja2 import Environment
from pelican.plugins.reflections.core import i18n
from pelican.plugins.reflections.site.essays import localized

LOCALE = REPO / "plugins" / "reflections" / "locale"
SHIPPED = ["en", "de", "fr", "es", "it", "nl", "pt_BR", "pl", "sv", "tr", "ja"]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
#: Every template a reader or the author sees (robots.txt and the sitemap are for machines).
MARKED = [
    *sorted((REPO / "plugins" / "reflections" / "templates" / "reflections").glob("*.html")),
    *sorted((REPO / "plugins" / "reflections" / "templates" / "service").glob("*.html")),
    *sorted((REPO / "plugins" / "reflections" / "templates" / "moderate").glob("*.html")),
    *sorted(p for p in (REPO / "theme" / "templates").rglob("*.html") if p.stem not in ("robots", "sitemap")),
]


def catalogue(path: Path):
    with path.open("rb") as stream:
        return read_po(stream)


def ids(messages) -> set:
    return {message.id for message in messages if message.id}


def test_the_template_holds_every_marked_message(tmp_path):
    """Extracting again gives the committed template's messages: `make messages` was run."""
    made = tmp_path / "withness.pot"
    command = [
        str(Path(sys.executable).with_name("pybabel")), "extract", "-F", "babel.cfg", "-k", "N_",
        "-k", "plural_forms:1,2", "-k", "plural_message:1,2", "--no-location", "-o", str(made), ".",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert ids(catalogue(made)) == ids(catalogue(LOCALE / "withness.pot"))


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_catalogue_is_complete_and_keeps_the_placeholders(lang):
    template = catalogue(LOCALE / "withness.pot")
    translated = catalogue(LOCALE / lang / "LC_MESSAGES" / "withness.po")
    assert ids(translated) == ids(template), "run `make messages`"
    plural = gettext.c2py(translated.plural_expr)
    only_one = [n for n in range(1000) if plural(n) == 0] == [1]  # the first form is for 1 alone
    for message in translated:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert len(forms) == translated.num_plurals or not isinstance(message.id, tuple), message.id
        source = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(source[-1]))
        for index, form in enumerate(forms):
            assert form.strip(), (lang, message.id)
            found = set(PLACEHOLDER.findall(form))
            if index == 0 and isinstance(message.id, tuple) and only_one:
                # "One thing needs a look": a form used for exactly one may spell the number out.
                found |= wanted & {"count", "num"}
            assert found == wanted, (lang, message.id, form)


class _Words(HTMLParser):
    """The words of a page a reader sees or hears: text, and the attributes read out."""

    READ_OUT = {"title", "aria-label", "alt", "placeholder"}

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")
        for name, value in attrs:
            if name in self.READ_OUT and re.search(r"[A-Za-z]{2,}", value or ""):
                self.words.append((value or "").replace("\x00", "").strip())

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden:
            self.words += re.findall(r"[A-Za-z]{2,}[A-Za-z’']*", data)


def _unmarked(path: Path) -> list[str]:
    """Words in a template that no gettext call or {% trans %} block holds: the template with
    every Jinja expression and marked block made a blank ("0": no word, and `<h{{ n }}>` stays a
    tag), read as HTML."""
    environment = Environment(extensions=["jinja2.ext.i18n"])
    pieces, depth, helper, tag = [], 0, False, None
    for _, kind, value in environment.lex(path.read_text(encoding="utf-8")):
        if kind == "block_begin":
            tag = []
        elif kind == "name" and tag is not None:
            tag.append(value)
        elif kind == "block_end" and tag:
            depth += {"trans": 1, "endtrans": -1}.get(tag[0], 0)
            helper = (helper or (tag[0] == "macro" and tag[1:2] == ["described"])) and tag[0] != "endmacro"
            tag = None
        if kind == "data" and not depth and not helper:
            pieces.append(value)
        elif kind in ("variable_begin", "block_begin"):
            pieces.append("0")
    words = _Words()
    words.feed("".join(pieces))
    words.close()
    return words.words


@pytest.mark.parametrize("path", MARKED, ids=lambda path: str(path.relative_to(REPO)))
def test_no_word_a_reader_sees_is_left_unmarked(path):
    assert _unmarked(path) == []


def test_the_checker_finds_an_unmarked_word(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<p>{% trans %}Marked{% endtrans %} Unmarked</p><a aria-label="Read it">{{ _("x") }}</a>',
        encoding="utf-8",
    )
    assert _unmarked(page) == ["Unmarked", "Read it"]


@pytest.mark.parametrize(
    "lang, expected",
    [
        (
            "de",
            {
                0: "0 Reflexionen",
                1: "1 Reflexion",
                2: "2 Reflexionen",
                5: "5 Reflexionen",
                22: "22 Reflexionen",
            },
        ),
        ("pl", {0: "0 refleksji", 1: "1 refleksja", 2: "2 refleksje", 5: "5 refleksji", 22: "22 refleksje"}),
        ("ja", {0: "0件の感想", 1: "1件の感想", 2: "2件の感想", 5: "5件の感想", 22: "22件の感想"}),
    ],
)
def test_plurals_follow_the_language(lang, expected):
    words = i18n.Words(lang)
    for count, text in expected.items():
        assert words.ngettext("%(count)s reflection", "%(count)s reflections", count) == text


def test_a_region_falls_back_to_its_language_and_an_unknown_language_to_english():
    assert i18n.Words("de-AT")("Send your reflection") == "Reflexion senden"
    assert i18n.Words("pt-BR")("Send your reflection") == "Enviar sua reflexão"
    assert i18n.Words("xx")("Send your reflection") == "Send your reflection"
    assert i18n.Words("")("Send your reflection") == "Send your reflection"


def test_a_sites_own_words_replace_the_shipped_ones_for_that_language(tmp_path):
    (tmp_path / "de.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Add your reflection"\nmsgstr "Schreiben Sie uns"\n',
        encoding="utf-8",
    )
    ours = i18n.Words("de", str(tmp_path))
    assert ours("Add your reflection") == "Schreiben Sie uns"
    assert ours("Send your reflection") == "Reflexion senden"  # the rest: the shipped catalogue
    assert i18n.Words("fr", str(tmp_path))("Add your reflection") == "Ajoutez votre réflexion"


def test_right_to_left_languages():
    assert [i18n.direction(lang) for lang in ("ar", "he", "fa", "ur")] == ["rtl"] * 4
    assert [i18n.direction(lang) for lang in ("de", "ja", "", None, "xx")] == ["ltr"] * 5


def test_dates_in_the_pages_language():
    moment = datetime(2026, 3, 16, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    german_site = {"DEFAULT_LANG": "de", "DEFAULT_DATE_FORMAT": "%-d. %B %Y"}
    assert localized(moment, "de", german_site) == "16. März 2026"
    polish_site = {"DEFAULT_LANG": "pl", "DEFAULT_DATE_FORMAT": "%-d %B %Y"}
    assert localized(moment, "pl", polish_site) == "16 marca 2026"
    # A Japanese essay on the German site: Japanese's own full date.
    assert localized(moment, "ja", german_site) == "2026年3月16日"
    formats = {**german_site, "DATE_FORMATS": {"fr": "%A %-d %B %Y"}}
    assert localized(moment, "fr", formats) == "lundi 16 mars 2026"
    assert (
        localized(moment, "en", {"DEFAULT_LANG": "en", "DEFAULT_DATE_FORMAT": "%-d %B %Y"}) == "16 March 2026"
    )


def test_a_sites_override_catalogue_reaches_its_built_pages(tmp_path):
    from conftest import build_site, copy_site

    site = copy_site(tmp_path / "site")
    settings = site / "pelicanconf.py"
    settings.write_text(
        settings.read_text(encoding="utf-8") + '\nREFLECTIONS_TRANSLATIONS = "translations"\n',
        encoding="utf-8",
    )
    (site / "content" / "translations").mkdir()
    (site / "content" / "translations" / "en.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Add your reflection"\nmsgstr "Leave a few words"\n',
        encoding="utf-8",
    )
    built = build_site(settings, tmp_path / "output", tmp_path / "cache", cwd=site)
    assert built.returncode == 0, built.stderr
    page = (tmp_path / "output" / "essays" / "learning-to-stay" / "index.html").read_text(encoding="utf-8")
    assert ">Leave a few words<" in page and "Add your reflection" not in page
    assert ">Send your reflection<" in page  # the rest as shipped


#: The keyword arguments that carry words to a page or a message in the service's code.
SHOWN = {"heading", "message", "done", "question", "button", "keep_label", "title"}


def test_no_word_the_service_code_shows_is_left_unmarked():
    """A page's heading, message, question or button given as a bare string (not through `_()`)
    would reach every reader in English."""
    import ast

    found = []
    for path in sorted((REPO / "plugins" / "reflections" / "service").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg in SHOWN and isinstance(keyword.value, ast.Constant | ast.JoinedStr):
                    found.append(f"{path.name}:{node.lineno} {keyword.arg}=")
    for path in sorted((REPO / "plugins" / "reflections" / "service").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # The moderation pages' flash: request.session["flash"] = "…"
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant | ast.JoinedStr):
                target = node.targets[0]
                if isinstance(target, ast.Subscript) and getattr(target.slice, "value", None) == "flash":
                    found.append(f"{path.name}:{node.lineno} flash")
    assert found == []


SUMMARY = (
    "One thing needs a look before this can be sent:",
    "%(count)s things need a look before this can be sent:",
)


@pytest.mark.parametrize("lang", SHIPPED)
def test_the_error_summary_agrees_in_number_in_every_catalogue(lang):
    words = i18n.Words(lang)
    one, two, five = (words.ngettext(*SUMMARY, count) % {"count": count} for count in (1, 2, 5))
    assert "2" in two and "5" in five
    plural = gettext.c2py(catalogue(LOCALE / lang / "LC_MESSAGES" / "withness.po").plural_expr)
    if [n for n in range(1000) if plural(n) == 0] == [1]:  # a language whose first form is for 1 alone
        assert "1" not in one  # "One thing", never "1 things"
    else:
        assert "1" in one  # French "0 point", Japanese "1 件": the number is said
    assert one != two or lang == "ja"  # Japanese has one form for every number
    if lang != "en":
        assert (one, two) != (
            "One thing needs a look before this can be sent:",
            "2 things need a look before this can be sent:",
        )
