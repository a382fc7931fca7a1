"""Security headers on every response `reflections serve` makes: the service's pages and the site.

The service's pages (under /reflections/) may not be framed by anyone, load nothing from elsewhere
and send no referrer (a reader's withdraw link is in their address). The static site gets
SITE_POLICY, the Content-Security-Policy documented in the README for any web server that serves
`output/`.
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SERVICE_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SITE_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; media-src 'self' https:; object-src 'none'; "
    "form-action 'self'; frame-ancestors 'self'; base-uri 'self'"
)
SERVICE_HEADERS = {
    "Content-Security-Policy": SERVICE_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
SITE_HEADERS = {
    "Content-Security-Policy": SITE_POLICY,
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP response, whatever route made it."""

    def __init__(self, app: ASGIApp, service_prefix: str = "/reflections/") -> None:
        self.app = app
        self.service_prefix = service_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chosen = SERVICE_HEADERS if scope["path"].startswith(self.service_prefix) else SITE_HEADERS

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in chosen.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
