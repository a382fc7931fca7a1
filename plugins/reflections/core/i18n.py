"""The words readers and the author see, in the page's language.

Messages are written in English in the templates and the code and marked for gettext; Babel
extracts them (`make messages`) into `locale/withness.pot`, and each language's catalogue is
`locale/<lang>/LC_MESSAGES/withness.po`. A catalogue is read and compiled in memory the first time
a language is asked for (no compiled file to forget to rebuild); a site may override any message
with its own `.po` files (REFLECTIONS_TRANSLATIONS).

The language of a page is its essay's (`Lang`, Pelican's translations), else the site's
DEFAULT_LANG; a language with no catalogue reads English, the language the messages are written in.
"""

import gettext as gettext_module
import hashlib
import io
import os
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, get_day_names, get_month_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import pass_context
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

DOMAIN = "withness"
CATALOGUES = Path(__file__).resolve().parent.parent / "locale"
#: The language the messages are written in.
SOURCE = "en"


def N_(message: str) -> str:  # noqa: N802 (gettext's own name for it)
    """Mark a message for extraction where it is defined; it is translated where it is shown."""
    return message


def plural_message(singular: str, plural: str) -> tuple[str, str]:
    """Mark a plural message for extraction where it is defined (as N_ does a message)."""
    return singular, plural


@lru_cache(maxsize=128)
def locale_of(lang: str | None) -> Locale | None:
    """Babel's locale for a Pelican `Lang` ("de", "pt-BR", "pt_br"), or None when unknown."""
    if not lang:
        return None
    try:
        return Locale.parse(str(lang).replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        try:
            return Locale.parse(str(lang).replace("-", "_").split("_")[0])
        except (UnknownLocaleError, ValueError, TypeError):
            return None


def direction(lang: str | None) -> str:
    """ "rtl" for a language written right to left (Arabic, Hebrew, Persian, Urdu…), else "ltr"."""
    locale = locale_of(lang)
    return "rtl" if locale is not None and locale.character_order == "right-to-left" else "ltr"


def _catalogue(path: Path, locale: Locale) -> Translations | None:
    if not path.is_file():
        return None
    with path.open("rb") as stream:
        catalogue = read_po(stream, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def _candidates(folder: Path, locale: Locale) -> list[Path]:
    names = [str(locale), locale.language] if locale.territory else [locale.language]
    return [
        place
        for name in names
        for place in (folder / name / "LC_MESSAGES" / f"{DOMAIN}.po", folder / f"{name}.po")
    ]


@lru_cache(maxsize=64)
def translations(lang: str | None, overrides: str = "") -> gettext_module.NullTranslations:
    """The messages of `lang`: the site's own (`overrides`, a folder of .po files) first, then
    the shipped catalogue of the language and region, then of the language, then English."""
    locale = locale_of(lang)
    found: list[Translations] = []
    if locale is not None:
        folders = ([Path(overrides)] if overrides else []) + [CATALOGUES]
        for folder in folders:
            for path in _candidates(folder, locale):
                if (catalogue := _catalogue(path, locale)) is not None:
                    found.append(catalogue)
    chain: gettext_module.NullTranslations = gettext_module.NullTranslations()
    for catalogue in reversed(found):
        catalogue.add_fallback(chain)
        chain = catalogue
    return chain


@lru_cache(maxsize=64)
def signature(lang: str | None, overrides: str = "") -> str:
    """What the messages of `lang` are made of (the catalogues' bytes): part of what a cached
    rendering depends on."""
    locale = locale_of(lang)
    digest = hashlib.sha256(str(lang).encode())
    if locale is not None:
        for folder in ([Path(overrides)] if overrides else []) + [CATALOGUES]:
            for path in _candidates(folder, locale):
                if path.is_file():
                    digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def shipped() -> list[str]:
    """The languages a catalogue ships for, besides English."""
    return sorted(
        path.name for path in CATALOGUES.iterdir() if (path / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
    )


class Words:
    """The messages of one language, for Python code: `_("…")`, `_.ngettext("…", "…", n)`."""

    def __init__(self, lang: str | None, overrides: str = "") -> None:
        self.lang = lang or SOURCE
        self._translations = translations(lang, overrides)

    def __call__(self, message: str, **variables) -> str:
        text = self._translations.gettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, count: int, **variables) -> str:
        text = self._translations.ngettext(singular, plural, count)
        shown = number(count, self.lang)
        return text % {"num": shown, "count": shown, **variables}

    @property
    def dir(self) -> str:
        return direction(self.lang)


def number(value: int, lang: str | None) -> str:
    """A count as the language writes numbers ("1.234" in German)."""
    return format_decimal(value, locale=locale_of(lang) or SOURCE)


#: strftime directives that name a month or a day: given in the page's language.
def localized_strftime(moment: datetime, fmt: str, lang: str | None) -> str:
    """`moment.strftime(fmt)` with month and weekday names in `lang` (Polish months in the
    genitive a date needs: "16 marca 2026")."""
    locale = locale_of(lang)
    if locale is None or locale.language == SOURCE:
        return _strftime(moment, fmt)
    names = {
        "%B": get_month_names("wide", "format", locale)[moment.month],
        "%b": get_month_names("abbreviated", "format", locale)[moment.month],
        "%A": get_day_names("wide", "format", locale)[moment.weekday()],
        "%a": get_day_names("abbreviated", "format", locale)[moment.weekday()],
    }
    for directive, name in names.items():
        fmt = fmt.replace(directive, name.replace("%", "%%"))
    return _strftime(moment, fmt)


def _strftime(moment: datetime, fmt: str) -> str:
    from .dates import strftime

    return strftime(moment, fmt)


def long_date(moment: datetime, lang: str | None) -> str:
    """A date as the language writes it in full ("16. März 2026", "2026年3月16日")."""
    return format_date(moment, "long", locale=locale_of(lang) or SOURCE)


# In templates: `{% trans %}`, `_()` and `ngettext()` in the language of the page being rendered.


def page_language(context) -> str:
    """The language a template context is for: an explicit `lang`, else its essay's or page's."""
    lang = context.get("lang")
    if not lang:
        shown = context.get("article") or context.get("page")
        lang = getattr(shown, "lang", None)
    return str(lang or context.get("DEFAULT_LANG") or SOURCE)


def _overrides(context) -> str:
    return str(context.get("withness_translations") or "")


def _gettext_in_context(previous=None):
    """(gettext, ngettext) in the page's language, with Jinja's newstyle contract (they format
    their variables, escaped under autoescape, themselves). A message the plugin's catalogues do not
    translate goes to what the site had installed before (a theme with its own catalogues, through
    i18n_subsites), so both work side by side. Every essay page asks some seventy times: a message
    is looked up once per language."""

    def ask_previous(context, *arguments):
        try:
            return str(context.call(previous[len(arguments) > 1], *arguments))
        except Exception:  # a newstyle callable formats with variables we do not have
            return None

    def shown(context, text: str, variables: dict):
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables if variables or "%" in text else text

    @pass_context
    def gettext(__context, __message: str, **variables):
        text = _looked_up(page_language(__context), _overrides(__context), __message)
        if text == __message and previous and previous[0] is not None:
            text = ask_previous(__context, __message) or text
        return shown(__context, text, variables)

    @pass_context
    def ngettext(__context, __singular: str, __plural: str, __count: int, **variables):
        variables.setdefault("num", __count)
        chosen = translations(page_language(__context), _overrides(__context))
        text = chosen.ngettext(__singular, __plural, __count)
        if text in (__singular, __plural) and previous and previous[1] is not None:
            text = ask_previous(__context, __singular, __plural, __count) or text
        return shown(__context, text, variables)

    return gettext, ngettext


@lru_cache(maxsize=4096)
def _looked_up(lang: str, overrides: str, message: str) -> str:
    return translations(lang, overrides).gettext(message)


@pass_context
def plural_forms(context, singular: str, plural: str) -> dict[str, str]:
    """A plural message for the page's script, by CLDR plural category ("one", "few", "many",
    "other"), which the browser's Intl.PluralRules picks for a number: each category's form is
    the catalogue's for a number of that category."""
    return _plural_forms(page_language(context), _overrides(context), singular, plural)


#: What reflect.js says; %(name)s, %(num)s and %(max)s are filled in by it.
SCRIPT_WORDS = {
    "replying": N_("Replying to %(name)s"),
    "replyTo": N_("Your reply to %(name)s"),
    "sendReply": N_("Send your reply"),
    "yourReply": N_("Your reply"),
    "instead": N_("Write a reflection instead"),
    "onThis": N_("Reflect on this"),
    "restored": N_("Your unsent words from your last visit are back in the form."),
    "unreachable": N_(
        "The reflection service cannot be reached just now, so nothing was sent. Your words are kept "
        "in this browser: come back to this page and send them later."
    ),
}
SCRIPT_PLURALS = {
    "over": plural_message(
        "%(num)s character over the limit of %(max)s. Everything you wrote is kept; please shorten it "
        "a little before sending.",
        "%(num)s characters over the limit of %(max)s. Everything you wrote is kept; please shorten it "
        "a little before sending.",
    ),
    "left": plural_message("%(num)s character left.", "%(num)s characters left."),
}


@pass_context
def script_words(context) -> Markup:
    """The form's `data-words`: what reflect.js says, in the page's language (JSON, made once per
    language: every essay page carries it)."""
    return _script_words(page_language(context), _overrides(context))


@lru_cache(maxsize=64)
def _script_words(lang: str, overrides: str) -> Markup:
    chosen = translations(lang, overrides)
    words: dict = {key: chosen.gettext(message) for key, message in SCRIPT_WORDS.items()}
    for key, (singular, plural) in SCRIPT_PLURALS.items():
        words[key] = _plural_forms(lang, overrides, singular, plural)
    return htmlsafe_json_dumps(words)


@lru_cache(maxsize=256)
def _plural_forms(lang: str, overrides: str, singular: str, plural: str) -> dict[str, str]:
    chosen = translations(lang, overrides)
    return {category: chosen.ngettext(singular, plural, count) for category, count in _examples(lang).items()}


@lru_cache(maxsize=64)
def _examples(lang: str) -> dict[str, int]:
    """A number of each plural category the language has (Polish: one 1, few 2, many 0)."""
    locale = locale_of(lang) or Locale.parse(SOURCE)
    found: dict[str, int] = {}
    for count in range(0, 200):
        found.setdefault(locale.plural_form(count), count)
    return found


def isolated(words: str) -> str:
    """Words a sentence is made with (a reader's name, an essay's title), kept apart from it
    between Unicode's isolates: an Arabic name in an English sentence, or an English one in a
    Hebrew sentence, leaves the words around it in their order. For text (notices, mails); a
    page's templates use the `bdi` filter."""
    return f"\u2068{words}\u2069"


def bdi(words: object) -> Markup:
    """The same on a page: the words in <bdi>, escaped."""
    return Markup("<bdi>%s</bdi>") % words


def install(environment) -> None:
    """Give a Jinja environment gettext in the page's language (`{% trans %}`, `_()`)."""
    if "jinja2.ext.InternationalizationExtension" not in environment.extensions:
        environment.add_extension("jinja2.ext.i18n")
    if environment.globals.get("withness_i18n"):
        return  # already ours
    found = environment.globals.get("gettext")
    previous = (found, environment.globals.get("ngettext")) if found is not None else None
    environment.newstyle_gettext = True  # {% trans %} calls gettext(message, **variables)
    gettext, ngettext = _gettext_in_context(previous)
    # Installed as they are: they keep the newstyle contract themselves, without Jinja's wrapper.
    environment.globals.update(gettext=gettext, ngettext=ngettext)
    environment.globals["withness_i18n"] = True
    environment.globals["text_direction"] = direction
    environment.globals["plural_forms"] = plural_forms
    environment.globals["script_words"] = script_words
    environment.filters["bdi"] = bdi


def overrides_folder(settings: dict) -> str:
    """The site's override catalogues (REFLECTIONS_TRANSLATIONS, relative to PATH), or ""."""
    name = settings.get("REFLECTIONS_TRANSLATIONS") or ""
    return os.path.join(settings["PATH"], name) if name else ""
