"""A reader's submission: its fields, read from a form or JSON, and `verify()` with a kind reason."""

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime

from email_validator import EmailNotValidError, validate_email

from ..core.essay_header import SiteView
from ..core.i18n import N_
from ..core.lengths import MAX_BODY, MAX_CONTENT_NOTE, MAX_EMAIL, MAX_NAME, MAX_QUOTE, MIN_BODY
from ..core.published import NAME_SHOWN, without_bidi_controls

#: JSON nested deeper than this is refused before it is parsed (deep nesting exhausts the parser's
#: recursion); a submission is one flat object.
MAX_JSON_DEPTH = 16
TRUE_WORDS = {"1", "true", "yes", "on"}
BROKEN_TEXT = N_(
    "A character in this text came through broken (shown as �), so we could not keep it as it "
    "was. Please look it over and send it again."
)
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass
class Submission:
    essay: str = ""
    body: str = ""
    name: str = ""
    email: str = ""
    notify: bool = False
    name_shown: str = "full"
    quote_ok: bool = False
    content_note: str = ""
    passage: str = ""
    quote: str = ""
    visibility: str = "public"
    parent: str = ""
    website: str = ""  # the honeypot: hidden from people and assistive technology
    token: str = ""
    #: Fields whose text held lone surrogates (JSON can carry them; no page or database can).
    broken: tuple[str, ...] = ()

    def values(self) -> dict:
        """What the reader typed, to show the form again exactly as they left it."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "broken"}


class NotAnObject(ValueError):
    """JSON that is not an object of fields."""


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    if not isinstance(value, str):
        raise NotAnObject("each field must be a string")
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text nests arrays or objects deeper than `limit` (brackets in strings aside)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _mended(submission: Submission) -> Submission:
    """Lone surrogates replaced by U+FFFD, and the fields that held them named for verify()."""
    broken = []
    for field in fields(submission):
        value = getattr(submission, field.name)
        if isinstance(value, str) and _SURROGATES.search(value):
            setattr(submission, field.name, _SURROGATES.sub("\ufffd", value))
            broken.append(field.name)
    submission.broken = tuple(broken)
    return submission


def from_mapping(data) -> Submission:
    """A submission from form fields or a decoded JSON object; raises NotAnObject for other shapes."""
    if not isinstance(data, dict):
        raise NotAnObject('the body must be a JSON object of fields, such as {"essay": …, "body": …}')
    notify, quote_ok = data.get("notify"), data.get("quote_ok")
    return _mended(
        Submission(
            essay=_text(data.get("essay")).strip(),
            body=_text(data.get("body")).strip("\n"),
            name=" ".join(without_bidi_controls(_text(data.get("name"))).split()),
            email=_text(data.get("email")).strip(),
            notify=notify is True or _text(notify).strip().lower() in TRUE_WORDS,
            name_shown=_text(data.get("name_shown") or "full").strip().lower(),
            quote_ok=quote_ok is True or _text(quote_ok).strip().lower() in TRUE_WORDS,
            content_note=" ".join(_text(data.get("content_note")).split()),
            passage=_text(data.get("passage")).strip(),
            quote=" ".join(_text(data.get("quote")).split()),
            visibility=_text(data.get("visibility") or "public").strip().lower(),
            parent=_text(data.get("parent")).strip(),
            website=_text(data.get("website")),
            token=_text(data.get("token")).strip(),
        )
    )


def _english(message: str, **variables) -> str:
    return message % variables if variables else message


def verify(
    submission: Submission,
    site: SiteView,
    words: Callable[..., str] = _english,
    today: date | None = None,
) -> dict[str, str]:
    """A kind reason for every field that is not right, in the reader's language (`words`, an
    i18n.Words); empty when the submission can be queued. `today`: the site's day (an essay may
    close by its age)."""
    _ = words
    problems: dict[str, str] = {name: _(BROKEN_TEXT) for name in submission.broken if name != "website"}
    essay = site.essay(submission.essay)
    if essay is None:
        problems["essay"] = _("We could not find this essay; it may have moved. Your words are still here.")
    elif not essay.open_on(today or datetime.now(UTC).date()):
        problems["essay"] = _("Reflections on this essay are closed now. Thank you for wanting to answer.")
    if "body" in problems:
        pass  # already named as broken: one message at a time
    elif len(submission.body.strip()) < MIN_BODY:
        problems["body"] = _("Please write a few words before sending.")
    elif len(submission.body) > MAX_BODY:
        problems["body"] = _(
            "This is %(length)s characters; the limit is %(max)s. Could you shorten it a little? "
            "Everything you wrote is still here.",
            length=format(len(submission.body), ","),
            max=format(MAX_BODY, ","),
        )
    if len(submission.name) > MAX_NAME:
        problems["name"] = _("Please keep your name to %(max)s characters.", max=MAX_NAME)
    if len(submission.content_note) > MAX_CONTENT_NOTE:
        problems["content_note"] = _(
            "Please keep the content note to %(max)s characters.", max=MAX_CONTENT_NOTE
        )
    if submission.email:
        if len(submission.email) > MAX_EMAIL:
            problems["email"] = _("An email address can have at most %(max)s characters.", max=MAX_EMAIL)
        else:
            try:
                validate_email(submission.email, check_deliverability=False)
            except EmailNotValidError:
                problems["email"] = _("This email address does not look quite right. You may leave it empty.")
    elif submission.notify:
        problems["email"] = _("To hear when the author replies, please add your email address.")
    if len(submission.quote) > MAX_QUOTE:
        problems["quote"] = _("Please keep the words you quote to %(max)s characters.", max=MAX_QUOTE)
    if submission.name_shown not in NAME_SHOWN:
        problems["name_shown"] = _("Please choose how your name is shown.")
    if submission.visibility not in ("public", "private"):
        problems["visibility"] = _("Please choose who may read it: everyone, or only the author.")
    if submission.parent and essay is not None and site.published_item(essay.slug, submission.parent) is None:
        problems["parent"] = _(
            "The reflection you are replying to is no longer here. You can still send yours as a reflection "
            "on the essay."
        )
    return problems
