"""Receiving webmentions (W3C): `POST /reflections/webmention` with form-encoded `source` and
`target`. The request is checked at once (a malformed one gets a 400 in plain words, a flood a 429),
kept in the store, and acknowledged with a 202 whose Location is its status page; the source is
fetched and verified afterwards by the replies worker (elsewhere/worker.py), never on the event loop.

Essay pages say where the endpoint is: a `<link rel="webmention">` in the page (the plugin's section,
so on any theme) and, from `reflections serve`, a `Link` header.
"""

from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.i18n import N_
from ..core.lengths import MAX_ADDRESS
from ..elsewhere.fetch import http_address
from ..elsewhere.remote import normalised
from . import bodies
from .state import Service

ENDPOINT = "/reflections/webmention"
#: A webmention is two addresses: nothing longer is read.
MAX_BODY_BYTES = 2 * MAX_ADDRESS + 200


def _plain(status: int, words: str, headers: dict | None = None) -> Response:
    return PlainTextResponse(
        words + "\n", status_code=status, headers={"Cache-Control": "no-store", **(headers or {})}
    )


def essay_at(service: Service, target: str, host: str) -> str | None:
    """The slug of the essay at address `target`, if it is this site's: its host is the site's (or
    the request's own, for a site served by `reflections serve` with SITEURL empty) and its path an
    essay's, under the site's sub-path."""
    parts = urlsplit(target)
    hosts = {urlsplit(origin).netloc for origin in service.origins | service.own_origins} | {host.lower()}
    if parts.netloc.lower() not in hosts:
        return None
    path = normalised(f"http://h{parts.path}").removeprefix("http://h")
    site_path = urlsplit(service.site_url).path.rstrip("/") if service.site_url else service.root
    for slug, essay in service.site.essays().items():
        if essay.url and normalised(f"http://h{site_path}/{essay.url}").removeprefix("http://h") == path:
            return slug
    return None


async def receive(request: Request) -> Response:
    service: Service = request.app.state.service
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in ("", "application/x-www-form-urlencoded"):
        return _plain(400, "A webmention is a form-encoded POST with source and target.")
    raw = await bodies.read_limited(request, MAX_BODY_BYTES)
    if raw is None:
        return _plain(
            400, f"A webmention's source and target are addresses of at most {MAX_ADDRESS} characters."
        )
    fields = parse_qs(raw.decode("utf-8", errors="replace"))
    source = (fields.get("source") or [""])[0].strip()
    target = (fields.get("target") or [""])[0].strip()
    if not source or not target:
        return _plain(400, "A webmention needs both a source and a target.")
    if not (http_address(source) and http_address(target)):
        return _plain(
            400, "The source and the target must both be http or https addresses, with no password in them."
        )
    if len(source) > MAX_ADDRESS or len(target) > MAX_ADDRESS:
        return _plain(400, f"The source and the target are addresses of at most {MAX_ADDRESS} characters.")
    if normalised(source) == normalised(target):
        return _plain(400, "The source and the target must be different pages.")
    essay = essay_at(service, target, request.headers.get("host", ""))
    if essay is None:
        return _plain(400, "The target is not an essay of this site.")
    if urlsplit(source).netloc.lower() == urlsplit(target).netloc.lower():
        return _plain(
            400, "The source is a page of this site: only other sites' pages are replies from elsewhere."
        )
    if not service.guard.take_mention(urlsplit(source).hostname or ""):
        return _plain(
            429, "Too many webmentions just now; please send it again later.", {"Retry-After": "60"}
        )
    mention = await run_in_threadpool(service.store.add_mention, source, target, essay)
    replies = getattr(request.app.state, "replies", None)
    if replies is not None:
        replies.wake.set()
    status = f"{service.root}{ENDPOINT}/{mention.id}"
    return _plain(
        202,
        "Received. The source will be checked, and what it says waits for the author, who reads "
        f"everything before anything appears on the site. Its status: {status}",
        {"Location": status},
    )


#: A webmention's state, as its status page says it.
STATE_WORDS = {
    "received": N_("Received: it will be checked soon."),
    "accepted": N_("Checked: it reached the author."),
    "refused": N_("Not taken."),
    "removed": N_("Taken off the site: its source is gone or no longer links here."),
}


async def status(request: Request) -> Response:
    service: Service = request.app.state.service
    mention = await run_in_threadpool(service.store.mention, request.path_params["id"][:64])
    if mention is None:
        return _plain(404, "No webmention has this address.")
    return await run_in_threadpool(
        service.page,
        "service/webmention.html",
        200,
        "",
        mention=mention,
        state_words=STATE_WORDS[mention.state],
        essay_title=service.site.title(mention.essay),
    )


routes = [
    Route(ENDPOINT, receive, methods=["POST"]),
    Route(ENDPOINT + "/{id}", status, methods=["GET"]),
]


class EssayLinks:
    """ASGI middleware around the site `reflections serve` serves: an essay page's answer says
    where its webmention endpoint is (`Link: <…>; rel="webmention"`)."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.service = service
        self._known: tuple[int, frozenset[str]] = (0, frozenset())
        self.link = f'<{service.root}{ENDPOINT}>; rel="webmention"'

    def _essay_paths(self) -> frozenset[str]:
        essays = self.service.site.essays()
        if self._known[0] != id(essays):
            paths = set()
            for essay in essays.values():
                if essay.url:
                    paths.add("/" + essay.url)
                    if essay.url.endswith("/"):
                        paths.add(f"/{essay.url}index.html")
            self._known = (id(essays), frozenset(paths))
        return self._known[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self._essay_paths():
            await self.app(scope, receive, send)
            return

        async def with_link(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                MutableHeaders(scope=message).append("Link", self.link)
            await send(message)

        await self.app(scope, receive, with_link)
