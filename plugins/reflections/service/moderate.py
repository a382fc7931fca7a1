"""The moderation pages at /reflections/moderate: the queue, private reflections, what is
published, and the log. Plain forms; every change of state is a POST with a CSRF token; every page
answers a stranger with the login page and nothing else."""

from datetime import date, datetime, timedelta

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..core import i18n, rest, sanitizer
from ..core.i18n import N_, Words
from ..store import MARKED_BY, STATES, now
from . import auth, login
from .login import BASE, author_post, login_page
from .moderation import ModerationError

ACTIONS = ("approve", "approve_with_edit", "edit", "respond", "reject", "spam", "delete", "unpublish")
BULK_ACTIONS = ("approve", "reject")


def age(moment: datetime, words: Words | None = None) -> str:
    _ = words or Words(None)
    seconds = (now() - moment).total_seconds()
    if seconds >= 86400:
        return _.ngettext("%(num)s day", "%(num)s days", int(seconds // 86400))
    if seconds >= 3600:
        return _.ngettext("%(num)s hour", "%(num)s hours", int(seconds // 3600))
    if seconds >= 60:
        return _.ngettext("%(num)s minute", "%(num)s minutes", int(seconds // 60))
    return _("a moment")


def _words(request: Request) -> Words:
    """What the author is told, in the site's language."""
    return request.app.state.service.words()


def item_words(_: Words) -> dict[str, str]:
    """An item's kind, visibility and state in the author's words."""
    return {
        "reflection": _("reflection"),
        "comment": _("comment"),
        "response": _("response"),
        "public": _("public"),
        "private": _("private"),
        "pending": _("waiting"),
        "approved": _("approved"),
        "rejected": _("rejected"),
        "spam": _("spam"),
        "withdrawn": _("withdrawn"),
    }


def _view(request: Request, template: str, **context) -> Response:
    service = request.app.state.service
    return service.page(
        template,
        words=item_words(service.words()),
        who=service.moderation.who,
        **_rest_context(service),
        csrf=auth.csrf_token(request),
        flash=request.session.pop("flash", ""),
        base=service.root + BASE,
        # What the author should know on every page: changes saved but not published, mail given up.
        failed_jobs=service.store.jobs(state="failed", limit=20),
        failed_deployments=service.store.failed_deployments(),
        given_up_mail=service.store.given_up_mail()[:20],
        **context,
    )


def _card(service, row) -> dict:
    essay = service.site.essay(row.essay)
    try:
        html = sanitizer.sanitize(row.body)
    except sanitizer.TooLong:
        html = Markup("<p>%s</p>") % service.words()("(This text is too long to show here.)")
    # A reply shows what it answers: the name and the opening words.
    parent = service.store.get(row.parent) if row.parent else None
    return {
        "row": row,
        "html": html,
        "answers": parent,
        "answers_excerpt": " ".join(parent.body.split())[:160] if parent else "",
        "age": age(row.created, service.words()),
        "essay": essay,
        "essay_title": service.site.title(row.essay),
        "published": row.is_published,
        # The ways the author may block (or trust) who it is by: email, domain, account.
        "markable": dict(service.moderation.identities(row)) if row.kind != "response" else {},
    }


#: Items on one page of a moderation list, and entries on one page of the log (Isso's admin, too).
PAGE_SIZE = 100
#: No list is longer than this many pages; a larger number (whose offset no database integer holds)
#: is read as the last page there could be, an empty one.
MAX_PAGE = 1_000_000


#: Where items came from, as the queue's filter offers it ("" for anywhere).
ORIGIN_FILTERS = {
    "": N_("Anywhere"),
    "here": N_("This site"),
    "elsewhere": N_("Elsewhere"),
    "webmention": N_("Other blogs"),
    "mastodon": N_("Mastodon"),
    "bluesky": N_("Bluesky"),
}


def _page_number(request: Request) -> int:
    try:
        return min(MAX_PAGE, max(1, int(request.query_params.get("page", "1"))))
    except ValueError:
        return 1


def queue(request: Request) -> Response:
    if not auth.is_author(request):
        return login_page(request)
    service = request.app.state.service
    _ = service.words()
    state = request.query_params.get("state", "pending")
    state = state if state in STATES else "pending"
    essay = request.query_params.get("essay", "") or None
    view = request.query_params.get("view", "queue")
    origin = request.query_params.get("origin", "")
    origin = origin if origin in ORIGIN_FILTERS else ""
    page = _page_number(request)
    # One more than a page is asked for: whether there is a next page, without counting them all.
    paging = {"essay": essay, "origin": origin, "limit": PAGE_SIZE + 1, "offset": (page - 1) * PAGE_SIZE}
    if view == "private":
        shown = {"visibility": "private", "not_kind": "response"}
        rows = service.store.find(**shown, **paging)
        title = _("Private reflections")
    elif view == "published":
        shown = {"state": "approved", "visibility": "public"}
        rows = service.store.find(**shown, **paging)
        title = _("Published")
    else:
        view = "queue"
        # Waiting: everything; decided private items live under Private.
        shown = {"state": state, "visibility": None if state == "pending" else "public"}
        # What may come from someone in pain is read first.
        rows = service.store.find(**shown, care_first=state == "pending", **paging)
        title = {
            "pending": _("Waiting for you"),
            "approved": _("Approved"),
            "rejected": _("Rejected"),
            "spam": _("Spam"),
            "withdrawn": _("Withdrawn"),
        }.get(state, state)
    return _view(
        request,
        "moderate/queue.html",
        title=title,
        view=view,
        state=state,
        essay=essay or "",
        origin=origin,
        origins=ORIGIN_FILTERS,
        essays=_filter_essays(service, service.store.essays_of(**shown), essay),
        states=STATES,
        cards=[_card(service, row) for row in rows[:PAGE_SIZE]],
        marks=service.store.marks(),
        trusting=bool(service.settings.get("REFLECTIONS_TRUST_RETURNING")),
        page=page,
        more=len(rows) > PAGE_SIZE,
    )


def _filter_essays(service, slugs: list[str], chosen: str | None) -> list:
    """The essays the filter offers: those with something in this view (and the one chosen), by
    title. Not every essay of the site: a site of three thousand essays would send them all with
    every page of the queue, after every approval."""
    known = service.site.essays()
    wanted = set(slugs) | ({chosen} if chosen else set())
    found = [known[slug] for slug in wanted if slug in known]
    found += [_Unknown(slug) for slug in wanted if slug not in known]  # an essay since removed
    return sorted(found, key=lambda e: (e.title, e.slug))


class _Unknown:
    """An essay the queue names but the site no longer has: offered by its slug."""

    def __init__(self, slug: str) -> None:
        self.slug = self.title = slug


def log(request: Request) -> Response:
    if not auth.is_author(request):
        return login_page(request)
    service = request.app.state.service
    page = _page_number(request)
    entries = service.store.history(limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    # In the author's words: whose item, on which essay (an item deleted since keeps its id).
    items = {entry.item: service.store.get(entry.item) for entry in entries[:PAGE_SIZE]}
    return _view(
        request,
        "moderate/log.html",
        title=_words(request)("Moderation log"),
        entries=entries[:PAGE_SIZE],
        items={item: row for item, row in items.items() if row is not None},
        title_of=service.site.title,
        page=page,
        more=len(entries) > PAGE_SIZE,
    )


def _act(request: Request, fields: dict[str, list[str]]) -> Response:
    """Every change of state: one POST, a CSRF token, an action and one or more ids."""
    service = request.app.state.service
    _ = service.words()
    action = fields.get("action", [""])[0]
    ids = [item for item in fields.get("id", []) if item]
    text = fields.get("text", [""])[0]
    allowed = BULK_ACTIONS if len(ids) > 1 else ACTIONS
    base = service.root + BASE
    back = fields.get("back", [base])[0]
    back = back if back.startswith(base) else base
    if action == "delete" and ids and fields.get("confirmed", [""])[0] != "yes":
        # A reader's words are destroyed only after a second, deliberate step.
        row = service.store.get(ids[0])
        if row is not None:
            return _view(
                request,
                "moderate/delete.html",
                title=_("Delete for good?"),
                card=_card(service, row),
                back=back,
            )
    mark, _sep, what = action.partition("_")
    if mark in ("block", "trust") and what in MARKED_BY and len(ids) == 1:
        try:
            message = service.moderation.mark(ids[0], "blocked" if mark == "block" else "trusted", what)
        except ModerationError as error:
            message = _("Not done: %(reason)s.", reason=error)
        request.session["flash"] = message
    elif action not in allowed or not ids:
        request.session["flash"] = _("Choose an action and at least one reflection.")
    else:
        messages = []
        operation = getattr(service.moderation, action)
        extra: dict[str, str] = {}
        if action == "respond":
            extra = {"text": text}
        elif "edit" in action:
            extra = _edits(fields, text)
        for item in ids:
            try:
                messages.append(operation(item, actor="author", **extra))
            except ModerationError as error:
                messages.append(_("Not done: %(reason)s.", reason=error))
        request.session["flash"] = " ".join(messages)
    return RedirectResponse(back, status_code=303)


def _unmark(request: Request, fields: dict[str, list[str]]) -> Response:
    """Unblock (or no longer trust) a reader the author marked."""
    service = request.app.state.service
    _ = service.words()
    base = service.root + BASE
    back = fields.get("back", [base])[0]
    back = back if back.startswith(base) else base
    try:
        request.session["flash"] = service.moderation.unmark(int(fields.get("mark", ["0"])[0]))
    except (ValueError, ModerationError) as error:
        request.session["flash"] = _("Not done: %(reason)s.", reason=error)
    return RedirectResponse(back, status_code=303)


def _edits(fields: dict[str, list[str]], text: str) -> dict[str, str]:
    """An edit's words, and its name and content note when the form had those fields at all."""
    edits = {"body": text}
    for field in ("name", "content_note"):
        if field in fields:
            edits[field] = fields[field][0]
    return edits


def _rest_context(service) -> dict:
    resting = rest.until(service.settings)
    lang = service.language()
    return {
        "resting": resting is not None,
        "resting_day": i18n.long_date(resting, lang) if resting else "",
        "tomorrow": (date.today() + timedelta(days=1)).isoformat(),
    }


def _rest_switch(request: Request, fields: dict[str, list[str]]) -> Response:
    """The author's rest: pause reflections until a day, or end the rest now."""
    service = request.app.state.service
    _ = service.words()
    if fields.get("action", [""])[0] == "resume":
        rest.resume(service.settings)
        request.session["flash"] = _("The rest is over: the form is back on every essay in a moment.")
    else:
        try:
            day = date.fromisoformat(fields.get("until", [""])[0])
        except ValueError:
            day = None
        if day is None or day <= date.today():
            request.session["flash"] = _("Choose a day after today for reflections to open again.")
        else:
            rest.pause(service.settings, day)
            request.session["flash"] = _(
                "Reflections rest until %(day)s: every essay says so in a moment.",
                day=i18n.long_date(day, service.language()),
            )
    return RedirectResponse(service.root + BASE, status_code=303)


def _retry(request: Request, fields: dict[str, list[str]]) -> Response:
    """Try the failed publications and deploys again now (their cause may be fixed)."""
    store = request.app.state.service.store
    _ = _words(request)
    jobs = [int(job) for job in fields.get("job", []) if job.isdecimal() and len(job) < 19]
    if jobs:  # one publication's own button
        count = store.retry_failed_jobs(jobs)
    else:
        count = store.retry_failed_jobs() + store.retry_failed_deployments()
    request.session["flash"] = (
        _("Trying again: %(count)s waiting for the publisher.", count=count)
        if count
        else _("Nothing had failed.")
    )
    return RedirectResponse(request.app.state.service.root + BASE, status_code=303)


routes = [
    Route(BASE, queue, methods=["GET"]),
    Route(f"{BASE}/log", log, methods=["GET"]),
    Route(f"{BASE}/act", author_post(_act), methods=["POST"]),
    Route(f"{BASE}/retry", author_post(_retry), methods=["POST"]),
    Route(f"{BASE}/rest", author_post(_rest_switch), methods=["POST"]),
    Route(f"{BASE}/marks", author_post(_unmark), methods=["POST"]),
    *login.routes,
]
