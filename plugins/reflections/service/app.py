"""The intake service's application: its routes over one Service (state.py), the small endpoints
(a form token, the reply form, health), and the answer when the database is busy. Mounted under
/reflections/; submitting.py is the intake, afterwards.py what a reader opens after it,
moderate.py the author's pages.
"""

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..core import i18n, published
from ..core.essay_header import SiteView
from ..store import Store, StoreUnavailable, space_problem
from . import addresses, auth, intake, moderate, webmentions
from . import config as service_config
from .afterwards import mail_action, mail_subscription, received, withdraw
from .headers import SecurityHeaders
from .sitefiles import SiteFiles
from .state import Service, json_error
from .submitting import submit
from .webmentions import EssayLinks

logger = logging.getLogger(__name__)
#: The plugin's stylesheets and script: the service's pages use them, needing nothing of a theme.
STATIC = Path(__file__).parent.parent / "static"


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
        return json_error(503, message)
    return service.page(
        "service/message.html", 503, heading=_("Please try again in a moment"), message=message
    )


class OnlyUnder:
    """A middleware for one part of the service: requests under `prefix` pass through it, the rest
    go straight on. The author's session is the moderation pages' alone, so a reader's submission
    pays nothing for it (a cookie read, a wrapper on every message sent)."""

    def __init__(self, app, prefix: str, middleware, **options) -> None:
        self.app = app
        self.prefix = prefix
        self.through = middleware(app, **options)

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == self.prefix or path.startswith(self.prefix + "/"):
            await self.through(scope, receive, send)
        else:
            await self.app(scope, receive, send)


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
        *webmentions.routes,
        Route("/reflections/mail/act/{token}", mail_action, methods=["GET", "POST"]),
        Route("/reflections/mail/confirm/{token}", mail_subscription, methods=["GET", "POST"]),
        Route("/reflections/mail/unsubscribe/{token}", mail_subscription, methods=["GET", "POST"]),
        *moderate.routes,
        Mount("/reflections/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    if serve_site:
        output = Path(service.settings["OUTPUT_PATH"])
        output.mkdir(parents=True, exist_ok=True)
        routes.append(Mount("/", EssayLinks(SiteFiles(directory=str(output), html=True), service)))
    secure = config.secure_cookie
    if secure is None:  # Secure whenever the site itself is served over https (publishconf)
        secure = str(service.settings.get("SITEURL", "")).startswith("https://")
    session = Middleware(
        OnlyUnder,
        prefix=moderate.BASE,
        middleware=SessionMiddleware,
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
