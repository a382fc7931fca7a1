"""Security headers on every response `reflections serve` makes: the service's pages and the site.

The service's pages (under /reflections/) may not be framed by anyone, load nothing from elsewhere,
and send a referrer only to their own origin (a reader's withdraw link is in their
address; "no-referrer" would also blank the Origin of the service's own form posts, which the
origin check needs). The static site gets
SITE_POLICY, the Content-Security-Policy documented in the README for any web server that serves
`output/`, unless REFLECTIONS_SITE_CSP gives another (a theme with inline scripts or web fonts
from elsewhere) or `none`; the service's own pages keep theirs whatever it says.
"""

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SERVICE_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def site_policy(service_origin: str = "", chosen: str = "") -> str:
    """The site's policy: `chosen` (REFLECTIONS_SITE_CSP) when the operator set one ("" for none at
    all when it is "none"), else SITE_POLICY, for a site whose reflections service is on another
    origin with that origin allowed: its form may post there and its script ask there for a token."""
    if chosen:
        return "" if chosen == "none" else chosen
    if not service_origin:
        return SITE_POLICY
    return SITE_POLICY.replace("form-action 'self'", f"form-action 'self' {service_origin}").replace(
        "default-src 'self'", f"default-src 'self'; connect-src 'self' {service_origin}"
    )


SITE_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; media-src 'self' https:; object-src 'none'; "
    "form-action 'self'; frame-ancestors 'self'; base-uri 'self'"
)
SERVICE_HEADERS = {
    "Content-Security-Policy": SERVICE_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
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

    def __init__(
        self,
        app: ASGIApp,
        service_prefix: str = "/reflections/",
        https=lambda scope: scope.get("scheme") == "https",
        site_csp: str = "",
    ) -> None:
        self.app = app
        self.https = https
        self.service_prefix = service_prefix
        policy = site_policy(chosen=site_csp)
        self.site_headers = {**SITE_HEADERS, "Content-Security-Policy": policy}
        if not policy:
            del self.site_headers["Content-Security-Policy"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chosen = SERVICE_HEADERS if scope["path"].startswith(self.service_prefix) else self.site_headers

        secure = self.https(scope)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in chosen.items():
                    headers.setdefault(name, value)
                if secure:
                    _secure_cookies(headers)
            await send(message)

        await self.app(scope, receive, with_headers)


#: The Secure attribute of a Set-Cookie header (not the word in a cookie's value).
_SECURE = re.compile(r";\s*secure\s*(;|$)", re.IGNORECASE)


def _secure_cookies(headers: MutableHeaders) -> None:
    """Every cookie set over https is Secure, whatever the settings say (a site whose SITEURL is
    empty, behind a web server that speaks https)."""
    cookies = headers.getlist("set-cookie")
    if all(_SECURE.search(cookie) for cookie in cookies):
        return
    del headers["set-cookie"]
    for cookie in cookies:
        headers.append("set-cookie", cookie if _SECURE.search(cookie) else f"{cookie}; Secure")
