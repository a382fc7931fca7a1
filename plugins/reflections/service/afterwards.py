"""What a reader and the author open after a submission: the "received" page, the reader's
withdraw link, and the links in the mails (the author's act links, a reader's confirm and
unsubscribe). Each link is a signed token; a GET shows what it would do, a POST does it."""

import logging
from typing import TYPE_CHECKING

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..core import i18n, published, sanitizer
from ..core.i18n import N_
from ..store import Reflection
from . import care, readers
from .moderation import ModerationError

if TYPE_CHECKING:  # state.py imports this module: the type only, never at run time
    from .state import Service

logger = logging.getLogger(__name__)


def shown(body: str, words=None) -> Markup:
    """A reader's text as a service page shows it: sanitized, or a note when it is too long to."""
    try:
        return sanitizer.sanitize(body)
    except sanitizer.TooLong:
        note = N_("(This text is too long to show here.)")
        return Markup("<p>%s</p>") % (words(note) if words else note)


def _reflection_of(service: "Service", token: str) -> Reflection | None:
    """The reflection a reader's withdraw token names, or None for a forged or unknown token."""
    item_id = service.guard.item_from_withdraw_token(token)
    return service.store.get(item_id) if item_id else None


def _not_valid(service: "Service") -> HTMLResponse:
    _ = service.words()
    return service.page(
        "service/message.html", 404, heading=_("Not found"), message=_("This link is not valid.")
    )


def received(request: Request) -> Response:
    service: Service = request.app.state.service
    token = request.path_params["token"]
    row = _reflection_of(service, token)
    if row is None:
        return _not_valid(service)
    essay = service.site.essay(row.essay)
    return service.page(
        "service/received.html",
        lang=service.language(essay),
        reflection=row,
        essay_title=service.site.title(row.essay),
        essay_url=essay.url if essay else "",
        withdraw_token=token,
        mail_on=service.mailer.enabled,
        needs_care=care.marked(row.flags) and row.state != "withdrawn",
        help_url=str(service.settings["REFLECTIONS_HELP_URL"]),
        help_name=str(service.settings["REFLECTIONS_HELP_NAME"]),
    )


def withdraw(request: Request) -> Response:
    service: Service = request.app.state.service
    token = request.path_params["token"]
    row = _reflection_of(service, token)
    if row is None:
        return _not_valid(service)
    lang = service.language(row.essay)
    _ = service.words(row.essay)
    if request.method == "POST":
        try:
            said = service.moderation.withdraw(row.id, actor="reader")
        except ModerationError:
            said = "already"
        if said.startswith("This reflection was already") or said == "already":
            done = _("This reflection was already withdrawn.")
        elif row.is_published:
            done = _("Your reflection is withdrawn. It leaves the site in a moment.")
        else:
            done = _("Your reflection is withdrawn.")
        return service.page("service/confirm.html", lang=lang, heading=_("Withdrawn"), done=done)
    if row.state == "withdrawn":
        done = _("This reflection was already withdrawn.")
        return service.page("service/confirm.html", lang=lang, heading=_("Withdrawn"), done=done)
    title = service.site.title(row.essay)
    if row.is_published:
        question = _(
            "This takes your reflection on “%(title)s” away from the author’s queue and off the site. "
            "It cannot be undone.",
            title=title,
        )
    else:
        question = _(
            "This takes your reflection on “%(title)s” away from the author’s queue. It cannot be undone.",
            title=title,
        )
    return service.page(
        "service/confirm.html",
        lang=lang,
        heading=_("Withdraw your reflection?"),
        question=question,
        body_html=shown(row.body, _),
        button=_("Withdraw it"),
        keep_url=f"{service.root}/reflections/received/{token}",
        keep_label=_("Keep it"),
    )


def mail_action(request: Request) -> Response:
    """A link from the author's mail: GET asks, POST does. A scanner's GET changes nothing."""
    service: Service = request.app.state.service
    found = service.mailer.read_action(request.path_params["token"])
    row = service.store.get(found[0]) if found else None
    if row is None:
        _ = service.words()
        message = _("This link is not valid any more. The queue has every reflection.")
        return service.page("service/message.html", 404, heading=_("Link not valid"), message=message)
    item_id, action = found
    _ = service.words()  # the author's: the site's language
    if request.method == "POST":
        try:
            done = getattr(service.moderation, action)(item_id, actor="email link")
        except ModerationError as error:
            done = _("Not done: %(reason)s.", reason=error)
        return service.page("service/confirm.html", heading=_("Done"), done=done)
    headings = {
        "approve": (_("Approve this reflection?"), _("Approve")),
        "reject": (_("Reject this reflection?"), _("Reject")),
        "spam": (_("Spam this reflection?"), _("Spam")),
    }
    states = {
        "pending": _("waiting"),
        "approved": _("approved"),
        "rejected": _("rejected"),
        "spam": _("spam"),
        "withdrawn": _("withdrawn"),
    }
    heading, button = headings[action]
    return service.page(
        "service/confirm.html",
        heading=heading,
        question=_(
            "%(name)s on “%(title)s” (%(state)s now)",
            name=i18n.isolated(row.name or _(published.ANONYMOUS)),
            title=i18n.isolated(service.site.title(row.essay)),
            state=states.get(row.state, row.state),
        ),
        body_html=shown(row.body, _),
        button=button,
    )


def mail_subscription(request: Request) -> Response:
    """A reader's confirm or unsubscribe link: GET asks, POST does."""
    service: Service = request.app.state.service
    confirming = request.url.path.startswith("/reflections/mail/confirm/")
    read = service.mailer.read_confirm if confirming else service.mailer.read_unsubscribe
    email = read(request.path_params["token"])
    subscriber = service.store.subscriber(email) if email is not None else None
    # The reader is answered in the language of the essay they subscribed from, else the site's.
    lang = service.language(getattr(subscriber, "essay", None) or None)
    _ = i18n.Words(lang, service.overrides)
    if subscriber is None:
        return service.page(
            "service/message.html",
            404,
            lang=lang,
            heading=_("Link not valid"),
            message=_("This link is not valid."),
        )
    if request.method == "POST":
        if confirming:
            service.store.set_subscription(email, confirmed=True)
            done = _(
                "Thank you. You will hear from us once each time the author replies to you, never otherwise."
            )
            page = service.page("service/confirm.html", lang=lang, heading=_("Done"), done=done)
            # This browser now proves the address is its reader's (readers.py): what a trusted
            # reader sends from it may be published without waiting, never what anyone types.
            page.set_cookie(
                readers.COOKIE,
                readers.proof(service.guard, email),
                max_age=readers.COOKIE_SECONDS,
                path=f"{service.root}/reflections/",
                httponly=True,
                samesite="lax",
            )
            return page
        else:
            service.store.set_subscription(email, unsubscribed=True)
            service.store.forget_address(email)  # its purpose has ended: the address goes
            done = _("Done. You will get no more mails about replies.")
        return service.page("service/confirm.html", lang=lang, heading=_("Done"), done=done)
    if confirming:
        heading, question, button = (
            _("Confirm your address?"),
            _("Hear when the author replies to you."),
            _("Confirm"),
        )
    else:
        heading, question, button = (
            _("Stop the mails?"),
            _("No more mails when the author replies."),
            _("Stop them"),
        )
    return service.page("service/confirm.html", lang=lang, heading=heading, question=question, button=button)
