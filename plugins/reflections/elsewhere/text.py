"""HTML from elsewhere (a blog's e-content, a Mastodon post) made into reader text: the Markdown a
reader could have typed, with every character of theirs escaped, so it takes the one sanitizer
path of every reflection (Markdown, then nh3 last) and an author can edit it like any other.

Only what a reader's text can hold survives: paragraphs, line breaks, emphasis, quotes, lists, code
and links to http(s) addresses. Images, scripts, styles, iframes and every attribute but a link's
address are gone before a word is read.
"""

import re
from html.parser import HTMLParser

import nh3

from ..core.lengths import MAX_BODY
from .remote import Unreadable

_KEPT = {"p", "br", "a", "em", "i", "strong", "b", "blockquote", "ul", "ol", "li", "code", "pre", "div"}
#: Their words are not the reader's: dropped with everything inside.
_UNREAD = {"script", "style", "template", "noscript", "iframe", "object", "svg", "math"}
#: Inline emphasis and its Markdown mark, the same at both ends.
_MARKS = {"em": "*", "i": "*", "strong": "**", "b": "**"}
_BLOCKS = {"p", "blockquote", "ul", "ol", "li", "pre", "div"}
_ESCAPED = re.compile(r"([\\`*_\[\]{}])")
_LINE_START = re.compile(r"^([ \t]*)([#>+\-=|!]|\d+(?=[.)]))", re.MULTILINE)


def _escape(words: str) -> str:
    words = words.replace("&", "&amp;").replace("<", "&lt;")
    return _ESCAPED.sub(r"\\\1", words)


def _unmarked(text: str) -> str:
    """A line's first character escaped where Markdown would read it as a mark (a heading, a quote,
    a list, a rule): "1. " stays words as "1\\. "."""

    def escaped(match: re.Match) -> str:
        space, mark = match.groups()
        return f"{space}{mark}\\" if mark.isdigit() else f"{space}\\{mark}"

    return _LINE_START.sub(escaped, text)


def _bare(address: str) -> str:
    """An address as a page shows it for its words: no scheme, no trailing slash or ellipsis (a
    Mastodon link reads "example.org/notes/long…")."""
    return re.sub(r"^https?://", "", address, flags=re.IGNORECASE).rstrip("/").rstrip("…")


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []  # finished paragraphs (already with their quote/list marks)
        self.line: list[str] = []  # the paragraph being read
        self.quote_depth = 0
        self.list_item = False
        self.link: tuple[str, list[str]] | None = None

    def _end_block(self) -> None:
        text = "".join(self.line).strip()
        self.line = []
        if not text:
            return
        text = "\n".join(re.sub(" {2,}", " ", part).strip() for part in text.split("\n"))
        text = _unmarked(text)
        if self.list_item:
            text = "- " + text.replace("\n", "\n  ")
        if self.quote_depth:
            text = "\n".join("> " * self.quote_depth + part for part in text.split("\n"))
        self.blocks.append(text)

    def _write(self, text: str) -> None:
        if self.link is not None:
            self.link[1].append(text)
        else:
            self.line.append(text)

    # What the reader is fed is nh3's output (from_html): only _KEPT tags, every one closed, the
    # words of scripts and the like gone with them.
    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS:
            self._end_block()
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "li":
                self.list_item = True
        elif tag == "br":
            self._write("\n")
        elif tag in _MARKS:
            self._write(_MARKS[tag])
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.link = (href, []) if re.match(r"https?://", href, re.IGNORECASE) else None

    def handle_endtag(self, tag):
        if tag in _BLOCKS:
            self._end_block()
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "li":
                self.list_item = False
        elif tag in _MARKS:
            self._write(_MARKS[tag])
        elif tag == "a" and self.link is not None:
            href, words = self.link
            self.link = None
            shown = "".join(words).strip()
            if not shown or (_bare(shown) and _bare(href).startswith(_bare(shown))):
                self.line.append(" " + href.replace(" ", "%20") + " ")  # a bare address: linked later
            else:
                self.line.append(f"[{shown}](<{href.replace('>', '%3E').replace(' ', '%20')}>)")

    def handle_data(self, data):
        self._write(_escape(re.sub(r"[ \t\r\n]+", " ", data)))

    def text(self) -> str:
        self._end_block()
        return "\n\n".join(self.blocks)


#: How deep hostile markup may nest before it is not read at all: html5ever's time grows with the
#: square of the depth (a megabyte of nested <div>s took it 38 s), and no page needs this many.
MAX_NESTING = 256
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(/?)>")
#: Tags that are never closed (void), or whose end a page may leave out: not counted as nesting.
_UNNESTED = frozenset(
    "area base br col embed hr img input link meta source track wbr p li dt dd tr td th option".split()
)


def nesting(html: str) -> int:
    """How deep `html` nests, as its tags say (a quick upper bound, before any parser reads it)."""
    depth = deepest = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        if self_closing or name.lower() in _UNNESTED:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def well_formed(html: str, tags: set[str], attributes: dict[str, set[str]]) -> str:
    """Hostile HTML parsed as a browser would (nh3: html5ever) and written out again, well formed,
    with only `tags` and `attributes`: what the standard library's parser reads next cannot trip it
    (Python 3.11's stops at a malformed `<![`). Raises Unreadable for markup nested deeper than
    MAX_NESTING."""
    if nesting(html) > MAX_NESTING:
        raise Unreadable(f"the page nests its markup more than {MAX_NESTING} levels deep")
    return nh3.clean(
        html,
        tags=tags,
        attributes=attributes,
        url_schemes={"http", "https"},
        url_relative="pass_through",
        link_rel=None,
        strip_comments=True,
        clean_content_tags=_UNREAD,
    )


def from_html(html: str, limit: int = MAX_BODY) -> tuple[str, bool]:
    """(reader text, shortened): the words of `html` as reader Markdown, cut at a word near `limit`
    characters (with an ellipsis) when longer; shortened says it was."""
    reader = _Reader()
    reader.feed(well_formed(html, _KEPT, {"a": {"href"}}))
    reader.close()
    return shorten(reader.text(), limit)


def from_plain(text: str, limit: int = MAX_BODY) -> tuple[str, bool]:
    """Plain text from elsewhere (an entry's summary) as reader text: every character escaped."""
    return paragraphs(from_plain_inline(text), limit)


def from_plain_inline(text: str) -> str:
    """Plain words escaped for Markdown, their line ends kept (a piece of a longer text)."""
    return _escape(text.replace("\r\n", "\n").replace("\r", "\n"))


def paragraphs(escaped: str, limit: int = MAX_BODY) -> tuple[str, bool]:
    """Escaped text in paragraphs, no line read as a mark, cut near `limit`."""
    found = [p.strip() for p in re.split(r"\n[ \t]*\n", escaped) if p.strip()]
    return shorten("\n\n".join(_unmarked(p) for p in found), limit)


def shorten(text: str, limit: int = MAX_BODY) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip("\\") + "…", True
