"""Care when it matters: a submission whose words speak of wanting to die or of self-harm is marked
as needing care (its flag `care`). The reader is then shown where to find help now, before
anything else; the item goes to the top of the author's queue; the author is told at once. It is
never refused or published for it: a false alarm costs only a kind word.

The phrases are per language (care/<lang>.txt, see its README), English's always too, and the
site's own (REFLECTIONS_CARE_WORDS).
"""

import re
from functools import lru_cache
from pathlib import Path

from ..core import i18n

FLAG = "care"
LISTS = Path(__file__).resolve().parent.parent / "care"
#: Written without spaces between words: a phrase is found anywhere in the text.
UNSPACED = {"ja", "zh", "th", "lo", "km", "my"}


def _read(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def _list(name: str, folder: str) -> list[str]:
    """A language's phrases: the site's own file for it when it has one, else the shipped one."""
    own = Path(folder) / f"{name}.txt" if folder else None
    return _read(own) if own is not None and own.is_file() else _read(LISTS / f"{name}.txt")


@lru_cache(maxsize=64)
def _patterns(lang: str, extra: tuple[str, ...], folder: str = "") -> tuple[re.Pattern, ...]:
    locale = i18n.locale_of(lang)
    names = [str(locale), locale.language] if locale is not None else []
    phrases = set(_list("en", folder)) | set(extra)
    for name in dict.fromkeys(names):
        phrases |= set(_list(name, folder))
    unspaced = locale is not None and locale.language in UNSPACED
    patterns = []
    for phrase in sorted(phrases):
        words = r"\s+".join(re.escape(word) for word in phrase.casefold().replace("’", "'").split())
        if unspaced:
            patterns.append(re.compile(words))
        else:
            patterns.append(re.compile(rf"(?<!\w){words}(?!\w)"))
    return tuple(patterns)


def needs_care(texts: list[str], lang: str, extra: tuple[str, ...] = (), folder: str = "") -> bool:
    """Whether any of `texts` (the words, the name, the content note) holds a phrase of `lang`
    (the site's own lists in `folder` replacing the shipped ones of their languages)."""
    text = " ".join(texts).casefold().replace("’", "'")
    return any(pattern.search(text) for pattern in _patterns(lang or i18n.SOURCE, tuple(extra), folder))


def lists_folder(settings: dict) -> str:
    """The site's own lists (REFLECTIONS_CARE_LISTS, relative to PATH), or ""."""
    name = settings.get("REFLECTIONS_CARE_LISTS") or ""
    return str(Path(settings["PATH"]) / name) if name else ""


def extra_words(settings: dict) -> tuple[str, ...]:
    """The site's own phrases (REFLECTIONS_CARE_WORDS), for every language."""
    return tuple(
        str(word).strip() for word in settings.get("REFLECTIONS_CARE_WORDS") or () if str(word).strip()
    )


def marked(flags: str) -> bool:
    return FLAG in flags.split(",")
