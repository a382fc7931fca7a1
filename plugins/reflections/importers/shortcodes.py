"""WordPress shortcodes as what they showed: images with their captions, a gallery's images, a link to
a video, a block of code. A bracketed word that is no shortcode WordPress would render ("[video]"
alone, "[code sprint]" with no closing tag) stays the writer's text, and is counted.

`expand` works on a post's HTML before it is converted to Markdown; code blocks come back as tokens
that `restore_code` puts back as fenced blocks once the Markdown is made (a converter would mangle
their spacing and escape their characters).
"""

import html
import re
from collections import Counter
from dataclasses import dataclass, field

#: Shortcodes that enclose something, and those that stand alone.
_ENCLOSING = re.compile(
    r"\[(caption|wp_caption|code|sourcecode|embed)((?:\s[^\]]*)?)\](.*?)\[/\1\]", re.S | re.I
)
_STANDING = re.compile(
    r"\[(gallery|youtube|vimeo|video|audio|wpvideo|videopress|playlist)((?:[\s=][^\]]*)?)\]", re.I
)
_ATTRIBUTE = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s\]]+))""")
_IMAGE = re.compile(r"<img\b[^>]*>", re.I)
_URL = re.compile(r"https?://[^\s\"'<>\]]+")
_TAG = re.compile(r"<[^>]+>")
_TOKEN = "WITHNESSCODEBLOCK{}X"


@dataclass
class Media:
    """The export's attachments: by id (address, title) and by the post they belong to."""

    by_id: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_post: dict[str, list[str]] = field(default_factory=dict)


def attributes(text: str) -> dict[str, str]:
    return {
        m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
        for m in _ATTRIBUTE.finditer(text)
    }


#: What is left of code escaped twice after one unescape: `&gt;`, `&lt;`, `&amp;`, `&quot;`.
_DOUBLE_ENCODED = re.compile(r"&(?:lt|gt|amp|quot);")


def expand(text: str, media: Media, post: str, counts: Counter) -> tuple[str, list[str]]:
    """`text` with every shortcode WordPress would render replaced by HTML; returns it and the code
    blocks its tokens stand for."""
    code: list[str] = []

    def enclosing(match: re.Match) -> str:
        name, given, inner = match.group(1).lower(), attributes(match.group(2)), match.group(3)
        counts["shortcodes converted"] += 1
        if name in ("caption", "wp_caption"):
            images = "".join(_IMAGE.findall(inner))
            caption = given.get("caption") or _TAG.sub("", inner).strip()
            return f"<p>{images}</p>\n\n<p><em>{caption}</em></p>" if caption else f"<p>{images}</p>"
        if name == "embed":
            return _link(inner.strip())
        language = given.get("language") or given.get("lang") or ""
        body = html.unescape(_TAG.sub("", inner) if "<br" in inner else inner).strip("\n")
        if _DOUBLE_ENCODED.search(body) and not re.search(r"[<>]", body):
            # The visual editor saved the code escaped twice (`&amp;gt;`): once more, and only once.
            body = html.unescape(body)
        fence = "~~~" if "```" in body else "```"
        code.append(f"{fence}{re.sub(r'[^A-Za-z0-9_+-]', '', language)}\n{body}\n{fence}")
        return f"\n\n<p>{_TOKEN.format(len(code) - 1)}</p>\n\n"

    def standing(match: re.Match) -> str:
        name, rest = match.group(1).lower(), match.group(2)
        given = attributes(rest)
        made = None
        if name == "gallery":
            ids = [i.strip() for i in given.get("ids", given.get("include", "")).split(",") if i.strip()]
            found = [media.by_id[i] for i in ids or media.by_post.get(post, []) if i in media.by_id]
            if found:
                made = "\n\n".join(
                    f'<p><img src="{html.escape(url)}" alt="{html.escape(title)}"></p>'
                    for url, title in found
                )
        elif name in ("wpvideo", "videopress") and rest.strip().isalnum():
            made = _link(f"https://videopress.com/v/{rest.strip()}")
        else:
            address = _URL.search(rest)
            made = _link(address.group(0)) if address else None
        if made is None:
            counts["shortcodes kept as text (nothing to show)"] += 1
            return match.group(0)
        counts["shortcodes converted"] += 1
        return made

    return _STANDING.sub(standing, _ENCLOSING.sub(enclosing, text)), code


def restore_code(markdown: str, code: list[str]) -> str:
    """The Markdown with each code token replaced by its fenced block."""
    for number, block in enumerate(code):
        markdown = markdown.replace(_TOKEN.format(number), block)
    return markdown


def _link(address: str) -> str:
    address = address.strip()
    if not _URL.fullmatch(address):
        return html.escape(address)
    shown = html.escape(address)
    return f'<p><a href="{shown}">{shown}</a></p>'
