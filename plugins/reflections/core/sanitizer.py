"""The one sanitizer: every piece of reader text becomes HTML here, and only here.

Markdown → HTML → bleach allowlist, in that order (the other order lets Markdown re-create markup
after the sanitizer ran). Raw HTML in the source is never parsed as HTML: it shows as text. Names
and content notes are plain text and never come here; Jinja2 autoescape handles them.
"""

import hashlib
import re
import threading
from collections import OrderedDict
from functools import partial
from urllib.parse import urlsplit

import markdown
from markupsafe import Markup, escape

from .lengths import MAX_SOURCE_CHARS

#: Deeper nesting of quotes, lists or brackets is shown as plain text instead of being parsed:
#: Python-Markdown's time grows steeply with nesting, and no reflection needs more.
MAX_NESTING = 8
#: Part of every cache key: bump it whenever the output of `sanitize` changes. 2: caches written
#: while the tools were shared between threads may hold another text's rendering; none is trusted.
VERSION = "2"

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "pre", "hr"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
# Explicit and small: never Pelican's MARKDOWN setting, never `extra` (its attr_list lets a reader
# write `{: onclick=… }`).
EXTENSIONS = [
    "markdown.extensions.fenced_code",
    "markdown.extensions.nl2br",
    "markdown.extensions.sane_lists",
]

#: Plain prose: letters, digits, spaces and sentence punctuation, in lines that start with neither a
#: space nor a digit and do not end with a space. Markdown makes of such text exactly paragraphs with
#: line breaks, so it is made so here, for a fraction of the time (most reflections are plain prose);
#: tests/core/test_sanitizer.py holds the two to each other on thousands of texts. The allowlist
#: runs on it all the same.
_PLAIN_TEXT = re.compile(r"[\w .,;:!?'\"\n\u2018\u2019\u201c\u201d\u2013\u2014\u2026]*")
_NOT_PLAIN = re.compile(r"_|^[ \d]| $", re.MULTILINE)
_PARAGRAPHS = re.compile(r"\n{2,}")
_QUOTE_DEPTH = re.compile(r"^[ \t]*((?:>[ \t]?)+)", re.MULTILINE)
_LIST_INDENT = re.compile(r"^([ \t]*)(?:[-*+]|\d+[.)])[ \t]", re.MULTILINE)


class TooLong(ValueError):
    """Reader text over MAX_SOURCE_CHARS."""


def _only_absolute_links(attrs: dict, new: bool = False) -> dict | None:
    """Keep a link only to an absolute http, https or mailto address, and mark it as the reader's.

    bleach already drops other schemes; this also drops relative and scheme-less addresses, which
    could reach the site's own pages or Pelican's {filename} placeholders. The text stays.
    """
    href = attrs.get((None, "href"), "")
    if urlsplit(href).scheme.lower() not in ALLOWED_PROTOCOLS:
        return None
    attrs[(None, "rel")] = LINK_REL
    return attrs


def _make_markdown() -> markdown.Markdown:
    md = markdown.Markdown(extensions=EXTENSIONS, output_format="html")
    # Raw HTML is text, not markup; images become plain links (no reader image is ever loaded).
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.inlinePatterns.deregister("image_link")
    md.inlinePatterns.deregister("image_reference")
    return md


#: Texts sanitized lately, by the text itself (never a digest, so never another text's HTML): a
#: page shown again and again (a withdraw link opened in many tabs) costs one render.
MEMO_SIZE = 256
_lock = threading.Lock()
_tools: tuple | None = None
_memo: OrderedDict[str, str] = OrderedDict()


def _sanitize_html(text: str) -> str:
    """Markdown to HTML, then the allowlist, with the one converter and cleaner of the process.

    Neither is thread-safe (shared without care, they mixed one reader's text into another's), so
    they are used under a lock. A lock, not per-thread copies: with the GIL nothing runs in
    parallel anyway, and it measured faster (bench/sanitize.py). bleach is imported on first use:
    a warm build finds every body in its cache and never needs it.
    """
    global _tools
    with _lock:
        if text in _memo:
            _memo.move_to_end(text)
            return _memo[text]
        if _tools is None:
            _tools = _make_tools()
        converter, cleaner, quiet_cleaner, url = _tools
        plain = is_plain(text)
        if plain:
            html = plain_html(text)
        elif nesting_depth(text) > MAX_NESTING:
            html = _plain_paragraphs(text)
        else:
            converter.reset()
            html = converter.convert(text)
        # Plain prose with nothing that looks like an address has nothing to link: the allowlist
        # without the linkifier, whose search of every text costs a fifth of the sanitizing.
        chosen = quiet_cleaner if plain and not url.search(text) else cleaner
        html = _memo[text] = chosen.clean(html)
        if len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
        return html


def _make_tools():
    """The converter, the allowlist with the linkifier and without it, and the linkifier's own
    pattern for an address."""
    import bleach
    from bleach.linkifier import URL_RE, LinkifyFilter

    def cleaner(filters: list) -> bleach.Cleaner:
        return bleach.Cleaner(
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            filters=filters,
        )

    linkify = partial(LinkifyFilter, callbacks=[_only_absolute_links], skip_tags={"pre", "code"})
    return _make_markdown(), cleaner([linkify]), cleaner([]), URL_RE


def is_plain(text: str) -> bool:
    """Whether `text` is plain prose (see _PLAIN_TEXT), which Markdown turns into paragraphs only."""
    return _PLAIN_TEXT.fullmatch(text) is not None and _NOT_PLAIN.search(text) is None


def plain_html(text: str) -> str:
    """What Markdown (with nl2br) makes of plain prose: a paragraph per run of lines, a line break
    between lines."""
    paragraphs = _PARAGRAPHS.split(text.strip("\n"))
    return "\n".join("<p>" + "<br>\n".join(lines.split("\n")) + "</p>" for lines in paragraphs if lines)


def nesting_depth(text: str) -> int:
    """The deepest nesting of block quotes, list indentation or brackets in the text."""
    depth = 0
    for match in _QUOTE_DEPTH.finditer(text):
        depth = max(depth, match.group(1).count(">"))
    for match in _LIST_INDENT.finditer(text):
        depth = max(depth, 1 + len(match.group(1).expandtabs(4)) // 2)
    level = 0
    for char in text:
        if char in "[(":
            level += 1
            depth = max(depth, level)
        elif char in "])" and level:
            level -= 1
    return depth


def _plain_paragraphs(text: str) -> str:
    """Text shown as it was typed, escaped, when it is too nested to parse as Markdown."""
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    lines = ("<br>\n".join(escape(line) for line in paragraph.split("\n")) for paragraph in paragraphs)
    return "\n".join(f"<p>{line}</p>" for line in lines)


def sanitize(text: str) -> Markup:
    """Reader Markdown to HTML that is safe to put in any page, feed or email.

    Raises TooLong for text over MAX_SOURCE_CHARS, so no caller can be made to spend seconds.
    """
    if len(text) > MAX_SOURCE_CHARS:
        raise TooLong(f"longer than {MAX_SOURCE_CHARS:,} characters ({len(text):,})")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return Markup(_sanitize_html(text))


def plain_text(html: str) -> str:
    """The words of sanitized HTML without its markup: for JSON-LD and summaries."""
    return Markup(html).striptags()


def cache_key(text: str) -> str:
    return hashlib.sha256(f"{VERSION}\0{text}".encode()).hexdigest()
