"""The door of the moderation pages: the login page, logging in and out, the one-time link from
`reflections login-link`, and the check every author's form passes before it changes anything (its
size, its origin, the author's session, its CSRF token)."""

from functools import partial
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..core.i18n import N_
from . import addresses, auth, bodies, origins

BASE = "/reflections/moderate"


#: The largest moderation form: a response or an edit of the longest body, with room to spare.
MAX_FORM_BYTES = 128 * 1024
PAUSED = N_(
    "Logins are paused for a while: there have been many wrong passwords from many places. To log "
    "in now, run `reflections login-link` on the server and open the link it prints."
)


async def _form(request: Request) -> dict[str, list[str]] | None:
    """The form's fields, or None when the body is over MAX_FORM_BYTES (not read past that)."""
    body = await bodies.read_limited(request, MAX_FORM_BYTES)
    if body is None:
        return None
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def _too_large() -> Response:
    return Response("That form was larger than any moderation form can be.", status_code=413)


def _refused_csrf() -> Response:
    return Response("Forbidden: the form's CSRF token is missing or wrong.", status_code=403)


def _from_elsewhere(request: Request) -> bool:
    """Whether a moderation form was posted from a page that is not the service's own (its Origin,
    else its Referer): refused whatever its token, as the intake refuses a foreign reader's form."""
    service = request.app.state.service
    return not origins.allowed(
        origins.of_form_post(request.headers), request.headers.get("host", ""), service.own_origins
    )


def _refused_origin() -> Response:
    return Response("Forbidden: this form was sent from another site.", status_code=403)


def login_page(request: Request, status: int = 200, message: str = "") -> Response:
    service = request.app.state.service
    response = service.page(
        "moderate/login.html",
        status=status,
        message=message,
        csrf=auth.csrf_token(request),
        has_password=auth.has_password(service.store),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def form_post(handler):
    """A form's endpoint: its fields read (within MAX_FORM_BYTES), then `handler(request, fields)`
    in a worker thread (the password check, the store), so the event loop keeps serving."""

    async def endpoint(request: Request) -> Response:
        fields = await _form(request)
        if fields is None:
            return _too_large()
        return await run_in_threadpool(handler, request, fields)

    endpoint.__doc__ = handler.__doc__
    return endpoint


def _login(request: Request, fields: dict[str, list[str]]) -> Response:
    service = request.app.state.service
    _ = service.words()
    if _from_elsewhere(request):
        return _refused_origin()
    if not auth.csrf_ok(request, fields.get("csrf", [""])[0]):
        return login_page(request, 403, _("This form had expired. Please log in again."))
    address = service.guard.address_hash(addresses.of_request(request))
    if service.guard.login_limited(address):
        return login_page(request, 429, _("Too many attempts. Please wait a few minutes and try again."))
    if service.guard.logins_paused():
        return login_page(request, 429, _(PAUSED))
    service.guard.count_login(address)
    if not auth.check_password(service.store, fields.get("password", [""])[0]):
        service.guard.count_failed_login()
        return login_page(request, 401, _("That password is not right."))
    auth.log_in(request)
    return RedirectResponse(request.app.state.service.root + BASE, status_code=303)


def enter(request: Request) -> Response:
    """A one-time link from `reflections login-link`: the way in while logins are paused."""
    service = request.app.state.service
    if not auth.use_login_link(service.store, service.guard.secret, request.path_params["token"]):
        return login_page(
            request, 404, service.words()("That login link is not valid any more. Make a new one.")
        )
    auth.log_in(request)
    return RedirectResponse(request.app.state.service.root + BASE, status_code=303)


def _logout(request: Request, fields: dict[str, list[str]]) -> Response:
    if _from_elsewhere(request):
        return _refused_origin()
    if auth.is_author(request) and not auth.csrf_ok(request, fields.get("csrf", [""])[0]):
        return _refused_csrf()
    auth.log_out(request, everywhere=fields.get("everywhere", [""])[0] == "1")
    return RedirectResponse(request.app.state.service.root + BASE, status_code=303)


def author_post(handler):
    """A moderation form's endpoint (`form_post`): the author and the CSRF token checked before
    `handler(request, fields)` changes anything."""
    endpoint = form_post(partial(_checked, handler))
    endpoint.__doc__ = handler.__doc__
    return endpoint


def _checked(handler, request: Request, fields: dict[str, list[str]]) -> Response:
    if not auth.is_author(request):
        return login_page(request, 401)
    if _from_elsewhere(request):
        return _refused_origin()
    if not auth.csrf_ok(request, fields.get("csrf", [""])[0]):
        return _refused_csrf()
    return handler(request, fields)


routes = [
    Route(f"{BASE}/login", form_post(_login), methods=["POST"]),
    Route(f"{BASE}/logout", form_post(_logout), methods=["POST"]),
    Route(f"{BASE}/enter/{{token}}", enter, methods=["GET"]),
]
