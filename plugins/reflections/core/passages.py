"""Passages of an essay a reader can reflect on: every paragraph and section gets an anchor made
from its own words (not its place), so adding or moving a paragraph leaves the others' anchors as
they were, and fixing a word late in a paragraph keeps its anchor too (only its opening words
count). A reflection names its passage by that anchor and quotes a few of its words.
"""

import hashlib
import html
import re
from itertools import islice

#: Words of a paragraph its anchor is made of: a fix further on keeps the anchor.
OPENING_WORDS = 12
#: Characters of a paragraph's HTML read for them (and for its label in the form).
LOOKED_AT = 400
#: The blocks that are passages: paragraphs (a quote's too) and headings.
_BLOCK = re.compile(r"<(p|h[2-6])(\s[^>]*)?>(.*?)</\1>", re.S | re.I)
_ID = re.compile(r"""\sid\s*=\s*["']([^"']+)["']""", re.I)
_TAG = re.compile(r"<[^>]+>")
_PARTIAL_TAG = re.compile(r"<[^>]*$")
_WORD = re.compile(r"\w+", re.U)


#: A heading's permalink (Markdown's toc, reStructuredText's headerlink): not its words.
_PERMALINK = re.compile(
    r"<a\b[^>]*class=[\"'][^\"']*(?:anchor|headerlink|permalink)[^\"']*[\"'][^>]*>.*?</a>", re.S | re.I
)


def plain(fragment: str) -> str:
    """A block's text as a reader reads it."""
    text = " ".join(html.unescape(_TAG.sub(" ", _PERMALINK.sub("", fragment))).split())
    return text.rstrip(" #¶§")


def anchor_of(text: str, heading: bool = False) -> str:
    """A passage's anchor from its words: "p-" and a short hash of its opening words, or for a
    heading "s-" and its words."""
    if heading:
        words = [word.casefold() for word in _WORD.findall(text)]
        return "s-" + ("-".join(words)[:60].strip("-") or "section")
    opening = [found.group().casefold() for found in islice(_WORD.finditer(text), OPENING_WORDS)]
    digest = hashlib.sha256(" ".join(opening).encode()).hexdigest()[:8]
    return f"p-{digest}"


def anchored(content: str) -> tuple[str, list[tuple[str, str, bool]]]:
    """The essay's HTML with an id on every passage that has none, and its passages in order:
    (anchor, text, is_heading). An anchor that would repeat (two paragraphs that open alike)
    gets -2, -3."""
    seen: dict[str, int] = {}
    passages: list[tuple[str, str, bool]] = []

    def add(match: re.Match) -> str:
        tag, attributes, inner = match.group(1), match.group(2) or "", match.group(3)
        heading = tag.lower().startswith("h")
        found = _ID.search(attributes)
        if found and not heading:  # anchored already (the reader did it): its words wait till asked
            passages.append((found.group(1), _Words(inner), False))
            return match.group(0)
        # A paragraph is known by its opening words: its first few hundred characters are enough.
        text = plain(inner if heading else _PARTIAL_TAG.sub("", inner[:LOOKED_AT]))
        if not text:
            return match.group(0)
        anchor = found.group(1) if found else anchor_of(text, heading)
        if not found:
            seen[anchor] = seen.get(anchor, 0) + 1
            if seen[anchor] > 1:
                anchor = f"{anchor}-{seen[anchor]}"
            attributes = f' id="{anchor}"{attributes}'
        passages.append((anchor, text, heading))
        return f"<{tag}{attributes}>{inner}</{tag}>"

    return _BLOCK.sub(add, content), passages


class _Words(str):
    """A paragraph's words, read from its HTML only when they are asked for."""

    def __new__(cls, inner: str):
        return super().__new__(cls, "")

    def __init__(self, inner: str) -> None:
        self.inner = inner

    def __str__(self) -> str:
        return plain(_PARTIAL_TAG.sub("", self.inner[:LOOKED_AT]))


def choices(passages: list[tuple[str, str, bool]], length: int = 60) -> list[tuple[str, str]]:
    """What the form offers a reader without JavaScript: the essay's sections when it has
    headings, else its paragraphs by their opening words."""
    headings = [(anchor, str(text)) for anchor, text, heading in passages if heading]
    chosen = headings or [(anchor, str(text)) for anchor, text, heading in passages if not heading]
    return [(anchor, _shortened(text, length)) for anchor, text in chosen if text]


def _shortened(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def with_counts(content: str, counts: dict[str, tuple[int, str]], label) -> str:
    """The anchored HTML with, at the end of each passage readers reflected on, a small link to
    the first of those reflections: `label(count)` says how many."""
    if not counts:
        return content

    def add(match: re.Match) -> str:
        found = _ID.search(match.group(2) or "")
        if not found or found.group(1) not in counts:
            return match.group(0)
        count, first = counts[found.group(1)]
        words = html.escape(label(count))
        link = f' <a class="passage-reflections" href="#r-{html.escape(first)}">{words}</a>'
        tag = match.group(1)
        return f"<{tag}{match.group(2)}>{match.group(3)}{link}</{tag}>"

    return _BLOCK.sub(add, content)
