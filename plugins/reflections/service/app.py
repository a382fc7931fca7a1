"""The intake service: readers' submissions in, kind pages and JSON out. Mounted under /reflections/.

No-JS form posts get a page (the form again, with the reader's words and a message by each field,
or a 303 to the "received" page); JSON posts get 422 with field errors or 202 with the id and a
withdraw token.
"""

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import anyio
from email_validator import EmailNotValidError, validate_email
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..core import i18n, lengths, published, rest
from ..core.essay_header import EssayInfo, SiteView
from ..core.i18n import N_
from ..store import Reflection, Store, StoreUnavailable, body_hash, now, space_problem
from . import addresses, auth, bodies, care, intake, mail, moderate, origins
from . import config as service_config
from .afterwards import mail_action, mail_subscription, received, shown, withdraw
from .guard import Guard
from .headers import SecurityHeaders
from .moderation import Moderation

logger = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent.parent / "templates"
#: The plugin's stylesheets and script: the service's pages use them, needing nothing of a theme.
STATIC = Path(__file__).parent.parent / "static"
DUPLICATE = N_("This reflection has already reached the author, so there is no need to send it again.")
UNAVAILABLE = N_(
    "We could not save your reflection just now: the server is busy. Nothing is lost: your words "
    "are still in the form below. Please wait a moment and send it again."
)


class Service:
    """Everything a request needs, made once at start."""

    def __init__(
        self, config: service_config.ServiceConfig, site: SiteView, store: Store | None = None
    ) -> None:
        self.config = config
        self.site = site
        self.settings = site.settings
        site_url = str(self.settings.get("SITEURL") or "")
        #: The site's address when the service's pages must link to it absolutely (else "": the
        #: site is on the service's own origin).
        self.site_url = site_url.rstrip("/") if origins.origin_of(site_url) else ""
        #: The path the service's addresses start with for a browser: "" unless the site (or the
        #: service) is served under a sub-path, such as https://example.org/blog (the web server
        #: passes /blog/reflections/ to the service's /reflections/).
        self.root = urlsplit(service_config.public_url(config, self.settings)).path.rstrip("/")
        #: The origins a reader's form may be posted from (besides the service's own).
        self.origins = origins.site_origins(
            site_url, str(self.settings.get("REFLECTIONS_SERVICE_URL") or ""), config.public_url
        )
        #: The origins the moderation forms may be posted from: the service's own pages, never the
        #: site's (a static host's page has no business posting an author's form).
        self.own_origins = origins.site_origins(
            str(self.settings.get("REFLECTIONS_SERVICE_URL") or ""), config.public_url
        )
        self.store = store or Store(config.database_url, config.database_timeout)
        self.guard = Guard(config, self.store)
        self.mailer = mail.for_site(config, self.store, self.guard.secret, self.site)
        zone = site.zone
        self.moderation = Moderation(
            self.store,
            self.settings.get("AUTHOR", ""),
            on_response=self.mailer.responded,
            title=site.title,
            words=i18n.Words(self.settings.get("DEFAULT_LANG"), i18n.overrides_folder(self.settings)),
            isolated=i18n.isolated,
        )
        self.pages = Environment(
            loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True)
        )
        self.overrides = i18n.overrides_folder(self.settings)
        i18n.install(self.pages)
        self.pages.filters["local"] = lambda moment: moment.astimezone(zone)
        self.pages.filters["mailto"] = mailto
        self.pages.globals.update(
            {
                key: self.settings.get(key)
                for key in ("SITENAME", "DEFAULT_LANG", "THEME_STATIC_DIR", "AUTHOR")
            }
            | {key: value for key, value in self.settings.items() if key.startswith("REFLECTIONS_")}
            # The service's own pages are already where the form posts: no "sending takes you to".
            | {
                "SITEURL": self.site_url,
                "ANONYMOUS": published.ANONYMOUS,
                "REFLECTIONS_SERVICE_URL": "",
                "reflections_static": f"{self.root}/reflections/static",
                "ROOT": self.root,
                "LIMITS": lengths.FORM_LIMITS,
                "AUTHOR_NAME": "the author",
                "withness_translations": self.overrides,
            }
        )

    def language(self, essay: EssayInfo | str | None = None) -> str:
        """The language a reader is answered in: the essay's they write to, else the site's."""
        if isinstance(essay, str):
            essay = self.site.essay(essay)
        lang = essay.lang if essay is not None else ""
        return lang or str(self.settings.get("DEFAULT_LANG") or i18n.SOURCE)

    def words(self, essay: EssayInfo | str | None = None) -> i18n.Words:
        """The messages in the language of `essay` (see language)."""
        return i18n.Words(self.language(essay), self.overrides)

    def page(self, template: str, status: int = 200, lang: str = "", **context) -> HTMLResponse:
        """A page in `lang` (else the language of its `article`, else the site's)."""
        article = context.get("article")
        lang = lang or self.language(article if isinstance(article, EssayInfo) and article.lang else None)
        html = self.pages.get_template(template).render(lang=lang, **context)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def form_page(
        self,
        essay: EssayInfo | None,
        submission: intake.Submission,
        status: int,
        heading: str,
        message: str = "",
        errors: dict | None = None,
        replying_to: published.PublishedItem | None = None,
    ) -> HTMLResponse:
        return self.page(
            "service/form_page.html",
            status=status,
            heading=heading,
            message=message,
            errors=errors or {},
            **self._submission_context(essay, submission, replying_to),
        )

    def send_page(self, essay: EssayInfo | None, submission: intake.Submission, message: str) -> HTMLResponse:
        """The one extra step without JavaScript: the words as they will read and a Send button in
        view, the whole form folded away for a change."""
        return self.page(
            "service/send.html",
            message=message,
            body_html=shown(submission.body),
            **self._submission_context(essay, submission),
        )

    def _submission_context(
        self,
        essay: EssayInfo | None,
        submission: intake.Submission,
        replying_to: published.PublishedItem | None = None,
    ) -> dict:
        """What every page of a reader's path shows of their submission: the words typed, the essay,
        a fresh form token, and what a reply answers (every page keeps saying it)."""
        article = essay or EssayInfo(submission.essay, "", "", True, "")
        if replying_to is None and submission.parent and essay is not None:
            replying_to = self.site.published_item(essay.slug, submission.parent)
        return {
            "values": submission.values(),
            "public_name": published.shown_as(submission.name, submission.name_shown),
            "article": article,
            "form_token": self.guard.form_token(article.slug),
            "replying_to": replying_to.shown_name if replying_to else "",
            "replying_to_html": shown(replying_to.body) if replying_to else "",
        }


def mailto(address: str, subject: str = "") -> str:
    """A mailto: link to a plain, valid address, every special character encoded (so an address such
    as `x?cc=…@example.org` cannot add a Cc or a body); "" when the address is not valid."""
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return ""
    if valid.normalized != address.strip() and valid.normalized.lower() != address.strip().lower():
        return ""
    link = "mailto:" + quote(valid.normalized, safe="@")
    return f"{link}?subject={quote(subject, safe='')}" if subject else link


def _json_error(status: int, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


async def submit(request: Request) -> Response:
    service: Service = request.app.state.service
    wants_json = request.headers.get("content-type", "").split(";")[0].strip() == "application/json"
    raw = await bodies.read_limited(request, service.config.max_request_bytes)
    address = addresses.of_request(request)
    foreign = not origins.allowed(
        request.headers.get("origin"), request.headers.get("host", ""), service.origins
    )
    # Everything after reading is blocking work (database commits, hashing, rendering): in a worker
    # thread, so the event loop keeps serving the site and the other readers meanwhile.
    answer = await run_in_threadpool(_submit, service, raw, wants_json, address, foreign)
    if isinstance(answer, Hold):
        # A token not yet old enough: the answer waits out the rest here, on the event loop (no
        # worker thread is held), then the submission is looked at once more.
        await anyio.sleep(answer.seconds)
        answer = await run_in_threadpool(_submit, service, raw, wants_json, address, foreign, True)
    return answer


@dataclass(frozen=True)
class Hold:
    """A submission that is whole but whose form token is younger than its minimum age."""

    seconds: float


#: The longest an answer is held for a young token; past it (a site that set a long minimum age)
#: the reader is asked to send again, with the reason.
MAX_HOLD_SECONDS = 10.0


FOREIGN = N_(
    "This form was sent from a page that is not part of this site, so nothing was sent. If you "
    "wrote it, your words are below: read them over and send them from here."
)


def _submit(
    service: Service,
    raw: bytes | None,
    wants_json: bool,
    address: str,
    foreign: bool = False,
    held: bool = False,
) -> Response | Hold:
    _ = service.words()
    if raw is None:
        message = _("That was more than we can receive at once. Please shorten it and send it again.")
        if wants_json:
            return _json_error(413, message)
        return service.page(
            "service/message.html", status=413, heading=_("Too long to receive"), message=message
        )
    try:
        if wants_json:
            text = raw.decode("utf-8")
            if intake.json_too_deep(text):
                raise intake.NotAnObject("the fields are nested too deeply to read")
            data = json.loads(text)
        else:
            fields = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
            data = {key: values[0] for key, values in fields.items()}
        submission = intake.from_mapping(data)
    except (ValueError, RecursionError) as error:
        message = (
            str(error) if isinstance(error, intake.NotAnObject) else "The request body is not valid JSON."
        )
        if wants_json:
            return _json_error(400, message)
        return service.page(
            "service/message.html", status=400, heading=_("We could not read that"), message=message
        )

    essay = service.site.essay(submission.essay)
    _ = service.words(essay)
    if foreign:
        # Another site's page posting readers' browsers into the queue: refused, the words shown back
        # on the service's own page, where sending them is the reader's own act.
        if wants_json:
            return _json_error(403, _(FOREIGN))
        return service.form_page(essay, submission, 403, _("Send this reflection?"), message=_(FOREIGN))
    resting = rest.until(service.settings)
    if resting is not None:
        # The author's rest: the reader's words come back to them with a kind word, nothing kept.
        message = _(
            "The author is taking a rest, and reflections are paused until %(day)s. Your words are "
            "still here: keep them, and send them then.",
            day=i18n.long_date(resting, service.language(essay)),
        )
        if wants_json:
            return JSONResponse({"errors": {"body": message}}, status_code=503)
        return service.form_page(essay, submission, 503, _("The author is resting"), message=message)
    address_hash = service.guard.address_hash(address)
    # The honeypot is looked at last: a bot that fills it meets every check and limit first.
    problems = intake.verify(submission, service.site, _)
    if not problems and service.guard.too_many_links(submission.body):
        problems["body"] = _(
            "Please keep to %(max)s links at most; it helps us keep spam out. "
            "Everything you wrote is still here.",
            max=service.config.max_links,
        )
    if problems:
        if wants_json:
            return JSONResponse({"errors": problems}, status_code=422)
        return service.form_page(
            essay,
            submission,
            422,
            _("Your reflection"),
            errors=problems,
        )

    problem, left = service.guard.token_verdict(submission.token, submission.essay)
    if problem == "too fast" and not held and left + 0.01 <= MAX_HOLD_SECONDS:
        return Hold(left + 0.01)
    if problem:
        return _confirm_again(service, essay, submission, wants_json, too_soon=problem == "too fast")

    if service.guard.over_rate_limit(address_hash):
        message = _(
            "You have sent several reflections in a short while. Please wait a little, then send again."
        )
        if wants_json:
            return JSONResponse({"errors": {"body": message}}, status_code=429)
        return service.form_page(essay, submission, 429, _("Please wait a moment"), message=message)

    if submission.website:
        # Only a program fills the hidden field. Keep it (as spam, never lost) and answer as usual.
        return _accept(service, submission, essay, address_hash, wants_json, state="spam", flags="honeypot")
    texts = [submission.body, submission.name, submission.content_note]
    flags = [f"held:{word}" for word in service.guard.held_words(*texts)]
    lists = care.lists_folder(service.settings)
    if care.needs_care(texts, service.language(essay), care.extra_words(service.settings), lists):
        flags.insert(0, care.FLAG)  # the reader is shown where to find help; the author told at once
    return _accept(service, submission, essay, address_hash, wants_json, flags=",".join(flags))


AS_WRITTEN = N_("Here is what you wrote, as it will read. If it says what you want it to, send it.")
USED_TOKEN = N_(
    "This form has already sent one reflection. If you meant to send another, here it is as you "
    "wrote it: send it again."
)
TOO_SOON = N_("That was sent a moment too soon for us to tell it from a program. Please send it again.")


def _confirm_again(
    service: Service,
    essay: EssayInfo | None,
    submission: intake.Submission,
    wants_json: bool,
    used: bool = False,
    too_soon: bool = False,
) -> Response:
    """A submission whose form token is missing, expired or used: the same words back, with a fresh
    token (a person sends again; a program that posts the essay page's form as it is does not)."""
    message = service.words(essay)(USED_TOKEN if used else TOO_SOON if too_soon else AS_WRITTEN)
    if wants_json:
        fresh = service.guard.form_token(submission.essay)
        if not (used or too_soon):
            message = "Please send again with this form token (ask /reflections/token)."
        return JSONResponse({"errors": {"token": message}, "token": fresh}, status_code=422)
    return service.send_page(essay, submission, message)


def _accept(
    service: Service,
    submission: intake.Submission,
    essay: EssayInfo | None,
    address_hash: str,
    wants_json: bool,
    state: str = "pending",
    flags: str = "",
) -> Response:
    _ = service.words(essay)
    moment = now()
    row = Reflection(
        id=published.new_id(moment),
        essay=submission.essay[: lengths.MAX_ESSAY],
        parent=submission.parent[: lengths.MAX_ID],
        kind="comment" if submission.parent else "reflection",
        visibility=submission.visibility if submission.visibility in ("public", "private") else "private",
        state=state,
        name=submission.name[: lengths.MAX_NAME],
        email=submission.email[: lengths.MAX_EMAIL],
        notify=submission.notify and bool(submission.email),
        name_shown=submission.name_shown,
        quote_ok=submission.quote_ok,
        # A passage the essay no longer has: the reflection answers the essay, its quote kept.
        passage=submission.passage if essay and submission.passage in essay.reflection_anchors else "",
        quote=submission.quote[: lengths.MAX_QUOTE],
        body=submission.body[: lengths.MAX_BODY],
        content_note=submission.content_note[: lengths.MAX_CONTENT_NOTE],
        address_hash=address_hash,
        body_hash=body_hash(submission.body),
        flags=flags,
        created=moment,
    )
    try:
        refused = service.store.add_unless_duplicate(
            row,
            service.guard.duplicate_since(),
            token=service.guard.token_nonce(submission.token),
            token_since=service.guard.tokens_issued_since(),
        )
        if refused == "token used":
            return _confirm_again(service, essay, submission, wants_json, used=True)
        if refused == "duplicate":
            problems = {"body": _(DUPLICATE)}
            if wants_json:
                return JSONResponse({"errors": problems}, status_code=422)
            return service.form_page(
                essay, submission, 422, _("Your reflection"), errors=problems, message=_(DUPLICATE)
            )
    except StoreUnavailable:
        logger.exception("Could not store a submission")
        if wants_json:
            return JSONResponse({"errors": {"body": _(UNAVAILABLE)}}, status_code=503)
        return service.form_page(
            essay, submission, 503, _("Please try again in a moment"), message=_(UNAVAILABLE)
        )
    service.guard.count_submission(address_hash)
    if state == "pending":
        try:
            service.mailer.submitted(row)
        except StoreUnavailable:
            # The reflection is safe; only its notification could not be queued.
            logger.exception("Could not queue the mail for %s", row.id)
    withdraw = service.guard.withdraw_token(row.id)
    if wants_json:
        return JSONResponse(
            {"id": row.id, "state": "pending", "visibility": row.visibility, "withdraw_token": withdraw},
            status_code=202,
        )
    return RedirectResponse(f"{service.root}/reflections/received/{withdraw}", status_code=303)


def token(request: Request) -> Response:
    service: Service = request.app.state.service
    headers = {"Cache-Control": "no-store", "Vary": "Origin"}
    origin = request.headers.get("origin", "").strip().lower()
    if origin and origin in service.origins:
        # The site's pages on a static host read their token across origins; no other page may.
        headers["Access-Control-Allow-Origin"] = origin
    essay = request.query_params.get("essay", "")
    if service.site.essay(essay) is None:
        return JSONResponse({"error": "No essay has that slug."}, status_code=404, headers=headers)
    return JSONResponse({"token": service.guard.form_token(essay)}, headers=headers)


def reply(request: Request) -> Response:
    """The form for replying to one published item: what a Reply link opens without JavaScript."""
    service: Service = request.app.state.service
    essay = service.site.essay(request.path_params["essay"])
    item = (
        service.site.published_item(request.path_params["essay"], request.path_params["id"])
        if essay
        else None
    )
    _ = service.words(essay)
    if essay is None or item is None:
        message = _("The reflection you wanted to answer is no longer here.")
        return service.page("service/message.html", 404, heading=_("Not found"), message=message)
    submission = intake.Submission(essay=essay.slug, parent=item.id)
    heading = _("Reply to %(name)s", name=i18n.isolated(item.author or _(published.ANONYMOUS)))
    return service.form_page(essay, submission, 200, heading, replying_to=item)


def health(request: Request) -> Response:
    service: Service = request.app.state.service
    try:
        pending = service.store.count_pending()
        jobs = service.store.count_jobs()
        deployments = service.store.count_deployments()
        # Reading works on a full disk and a read-only database; what readers send would not.
        problem = service.store.write_problem()
    except StoreUnavailable:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    output = service.settings.get("OUTPUT_PATH")
    problem = problem or (space_problem(output) if output else None)
    if problem:
        return JSONResponse({"status": "unavailable", "database": "ok", "reason": problem}, status_code=503)
    answer = {"status": "ok", "database": "ok", "pending": pending, "jobs": jobs, "deployments": deployments}
    publishing = getattr(request.app.state, "publishing", None)  # a publisher in this process
    if publishing is not None:
        answer |= publishing()
    return JSONResponse(answer)


def _busy(request: Request, error: Exception) -> Response:
    """The database could not be reached or stayed locked: say so kindly, never a traceback."""
    logger.warning("Database unavailable for %s: %s", request.url.path, " ".join(str(error).split())[:200])
    service: Service = request.app.state.service
    _ = service.words()
    message = _("The service is busy just now. Nothing is lost; please try again in a moment.")
    if request.url.path.startswith("/reflections/") and "json" in request.headers.get("accept", ""):
        return _json_error(503, message)
    return service.page(
        "service/message.html", 503, heading=_("Please try again in a moment"), message=message
    )


def create_app(
    config: service_config.ServiceConfig,
    site: SiteView,
    store: Store | None = None,
    serve_site: bool = True,
    lifespan=None,
) -> Starlette:
    """The intake and moderation service for one site: `site` is what it knows of the site
    (serve.py makes it); `store` is shared with a publisher in the same process (else one is
    opened); `serve_site` also serves the built site from OUTPUT_PATH."""
    service = Service(config, site, store)
    routes = [
        Route("/reflections/submit", submit, methods=["POST"]),
        Route("/reflections/token", token, methods=["GET"]),
        Route("/reflections/reply/{essay}/{id}", reply, methods=["GET"]),
        Route("/reflections/received/{token}", received, methods=["GET"]),
        Route("/reflections/withdraw/{token}", withdraw, methods=["GET", "POST"]),
        Route("/reflections/health", health, methods=["GET"]),
        Route("/reflections/mail/act/{token}", mail_action, methods=["GET", "POST"]),
        Route("/reflections/mail/confirm/{token}", mail_subscription, methods=["GET", "POST"]),
        Route("/reflections/mail/unsubscribe/{token}", mail_subscription, methods=["GET", "POST"]),
        *moderate.routes,
        Mount("/reflections/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    if serve_site:
        output = Path(service.settings["OUTPUT_PATH"])
        output.mkdir(parents=True, exist_ok=True)
        routes.append(Mount("/", StaticFiles(directory=str(output), html=True)))
    secure = config.secure_cookie
    if secure is None:  # Secure whenever the site itself is served over https (publishconf)
        secure = str(service.settings.get("SITEURL", "")).startswith("https://")
    session = Middleware(
        SessionMiddleware,
        secret_key=service.guard.session_key(),
        session_cookie="withness_author",
        path=service.root + moderate.BASE,
        same_site="strict",
        https_only=secure,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
    )
    app = Starlette(
        routes=routes,
        # Outermost, so even an error page answered by Starlette itself carries the headers.
        middleware=[
            Middleware(
                SecurityHeaders,
                https=lambda scope: addresses.is_https(scope, config.trusted_proxies),
                site_csp=config.site_csp,
            ),
            session,
        ],
        exception_handlers={StoreUnavailable: _busy},
        lifespan=lifespan,
    )
    app.state.service = service
    return app
