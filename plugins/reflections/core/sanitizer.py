"""The one sanitizer: every piece of reader text becomes HTML here, and only here.

Markdown → HTML → (links made of bare addresses) → the allowlist, in that order (the other order
lets Markdown re-create markup after the sanitizer ran). The allowlist is nh3 (Rust's ammonia),
always the last step: the security boundary. bleach only linkifies, and only a text that looks as
if it holds an address; nh3 has no linkifier, and its output passes nh3 all the same. Raw HTML
in the source is never parsed as HTML: it shows as text. Names and content notes are plain text
and never come here; Jinja2 autoescape handles them.
"""

import hashlib
import html
import re
import threading
from collections import OrderedDict
from functools import lru_cache
from urllib.parse import urlsplit

import markdown
from markupsafe import Markup, escape

from .lengths import MAX_SOURCE_CHARS

#: Deeper nesting of quotes, lists or brackets is shown as plain text instead of being parsed:
#: Python-Markdown's time grows steeply with nesting, and no reflection needs more.
MAX_NESTING = 8
#: The allowlist's own version: bump it whenever the policy below or its code changes what
#: `sanitize` makes. 2: caches written while the tools were shared between threads may hold another
#: text's rendering. 3: nh3 is the allowlist. With nh3's and bleach's versions it is part of every
#: cache key (`POLICY`), so an upgrade of either re-renders every reflection.
VERSION = "3"

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
#: What a bare address needs: a letter after a dot after a word character ("example.org") or a
#: scheme's "://". Wider than the linkifier's own pattern (a name, a dot, a known top-level
#: domain), so HTML whose words (outside its links and code) lack it has nothing to linkify, and
#: the linkifier (a whole HTML parse in Python, most of what a text costs) is spared.
_MAY_HOLD_AN_ADDRESS = re.compile(r"(?<=[\w-])\.[^\W\d_]|://")
#: What the linkifier leaves alone (links, code) and the markup itself, for that search.
_NOT_LINKIFIED = re.compile(r"<a\b.*?</a>|<code>.*?</code>|<[^>]*>", re.DOTALL)
#: Characters no XML 1.0 document may hold: a reader's "&#x0B;" is one once nh3 has read it, and
#: a feed with it cannot be written. Dropped (bleach left such references as they were typed).
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: A tag of nh3's HTML, for plain_text.
_A_TAG = re.compile(r"<[^>]*>")
#: A link nh3 took the address off (relative, or of another scheme): its words stay, unlinked.
_UNLINKED = re.compile(f'<a rel="{LINK_REL}">(.*?)</a>', re.DOTALL)


class TooLong(ValueError):
    """Reader text over MAX_SOURCE_CHARS."""


def _only_absolute_links(attrs: dict, new: bool = False) -> dict | None:
    """Keep a link only to an absolute http, https or mailto address, and mark it as the reader's.

    The linkifier's callback, for every link in a text it runs on; nh3 holds every text to the
    same rule after it. The text stays.
    """
    # Markdown writes an address in angle brackets (<ana@example.org>) as character references,
    # which bleach leaves unread: read, it is the mailto: link it is (else link and words go).
    href = attrs[(None, "href")] = html.unescape(attrs.get((None, "href"), ""))
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
_linker = None
_memo: OrderedDict[str, str] = OrderedDict()


def _sanitize_html(text: str) -> str:
    """Markdown to HTML, then the linkifier where an address may be, then the allowlist, with
    the one converter, linkifier and cleaner of the process.

    Neither Python-Markdown nor bleach's linkifier is thread-safe (shared without care, they mixed
    one reader's text into another's), so they are used under a lock. A lock, not per-thread
    copies: with the GIL nothing runs in parallel anyway. bleach is imported on the first text
    with an address in it: a warm build finds every body in its cache and never needs it.
    """
    global _tools, _linker
    with _lock:
        if text in _memo:
            _memo.move_to_end(text)
            return _memo[text]
        if _tools is None:
            _tools = _make_tools()
        converter, cleaner = _tools
        if is_plain(text):
            html = plain_html(text)
        elif nesting_depth(text) > MAX_NESTING:
            html = _plain_paragraphs(text)
        else:
            converter.reset()
            html = converter.convert(text)
        if _MAY_HOLD_AN_ADDRESS.search(text) and _MAY_HOLD_AN_ADDRESS.search(_NOT_LINKIFIED.sub(" ", html)):
            if _linker is None:
                _linker = _make_linker()
            html = _linker.linkify(html)
        html = _NOT_IN_XML.sub("", _UNLINKED.sub(r"\1", cleaner.clean(html)))
        _memo[text] = html
        if len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
        return html


def _make_tools():
    """The converter and the allowlist: nh3, the last step of every text."""
    import nh3

    cleaner = nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        # `rel` is nh3's own to set (link_rel), on every link.
        # No attribute on any tag but these (ammonia would allow `lang` and `title` on all).
        attributes={"*": set()} | {tag: set(names) - {"rel"} for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_PROTOCOLS),
        # Relative and scheme-less addresses could reach the site's own pages or Pelican's
        # {filename} placeholders: the link goes, its words stay (_UNLINKED).
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return _make_markdown(), cleaner


def _make_linker():
    """bleach's linkifier: bare addresses become links (never inside code), and every link it
    sees is made absolute-only and the reader's (_only_absolute_links)."""
    from bleach import html5lib_shim
    from bleach.linkifier import Linker

    linker = Linker(callbacks=[_only_absolute_links], skip_tags={"pre", "code"})
    # Character references read as the characters they are, as bleach's cleaner read them: left
    # as written, "&gt;" would be part of an address and a code span's "&lt;" escaped twice.
    linker.parser = html5lib_shim.BleachHTMLParser(
        tags=linker.parser.tags, strip=False, consume_entities=True, namespaceHTMLElements=False
    )
    return linker


@lru_cache(maxsize=1)
def policy() -> str:
    """What the sanitizer's output depends on besides the text: this module's VERSION and the
    versions of nh3 and bleach."""
    from importlib.metadata import version

    return f"{VERSION}/nh3-{version('nh3')}/bleach-{version('bleach')}"


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


def plain_text(markup: str) -> str:
    """The words of sanitized HTML without its markup: for JSON-LD and summaries. As Markup's
    striptags, for HTML that nh3 made (no comment, every `<` of the words escaped) in half the time:
    a whole build asks it for ten thousand excerpts."""
    return html.unescape(" ".join(_A_TAG.sub("", str(markup)).split()))


def cache_key(text: str) -> str:
    """A text's rendering's key in the build's cache: the text and the policy it was made with."""
    return hashlib.sha256(f"{policy()}\0{text}".encode()).hexdigest()
