"""Fetching from another site as hostile: http(s) only, no address in a loopback, private,
link-local, multicast or reserved range (checked after DNS resolution, at every connection, so on
every redirect too), no cookies or credentials, no proxy from the environment, a time cap for the
whole fetch, a size cap on the body, a bounded number of redirects.

The check sits in the connection itself (a network backend for httpcore): the address connected
to is the address checked, so a name that resolves to a public address when looked at and a
private one when connected to (DNS rebinding) gets nowhere.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urlsplit

import httpcore
import httpx

from ..core.lengths import MAX_FETCH_BYTES, MAX_FETCH_SECONDS, MAX_REDIRECTS

USER_AGENT = "Withness (replies from elsewhere, for the author of the site that asks)"
HTML = ("text/html", "application/xhtml+xml")
JSON = ("application/json",)


class Refused(Exception):
    """A fetch that was not made, or not finished: the reason is for the author to read."""


def refusal(address: str, allow_loopback: bool = False) -> str | None:
    """Why an IP address may not be fetched from, or None when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    if ip.is_loopback:
        return None if allow_loopback else f"{ip} is a loopback address"
    for test, words in (
        # The narrower names first: Python counts each of these as private too.
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "not a public address"),
    ):
        if test:
            return f"{ip} is {words}"
    return None


class _CheckedBackend(httpcore.SyncBackend):
    """Resolves a host itself, refuses it if any of its addresses is refused, and connects to the
    address it checked."""

    def __init__(self, allow_loopback: bool) -> None:
        self.allow_loopback = allow_loopback

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise Refused(f"the name {host} could not be resolved") from None
        addresses = [info[4][0] for info in found]
        for address in addresses:
            reason = refusal(address, self.allow_loopback)
            if reason:
                raise Refused(f"{host} is refused: {reason}")
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


class _CheckedTransport(httpx.HTTPTransport):
    def __init__(self, allow_loopback: bool) -> None:
        super().__init__(trust_env=False, retries=0)
        # httpx takes no network backend of its own; its pool does.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=10,
            keepalive_expiry=5.0,
            network_backend=_CheckedBackend(allow_loopback),
        )


@dataclass(frozen=True)
class Fetched:
    """What another site answered: the final address (after redirects), its status, its type and,
    for a 2xx answer, its body as text."""

    url: str
    status: int
    content_type: str
    text: str
    headers: dict


def http_address(address: str) -> bool:
    """Whether `address` is an absolute http(s) address with a host, and no user or password in it
    (which httpx would send as credentials)."""
    try:
        parts = urlsplit(address)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "@" not in parts.netloc


def _no_credentials(request: httpx.Request) -> None:
    """Every request, redirects included, goes without credentials: an address with a user and
    password in it (a redirect's too) is refused before it is sent."""
    if request.url.userinfo or "authorization" in request.headers:
        raise Refused("an address with a user or password in it is not fetched")


class Fetcher:
    """Fetches from other sites; one per process, thread-safe (httpx's client is)."""

    def __init__(
        self,
        allow_loopback: bool = False,
        max_bytes: int = MAX_FETCH_BYTES,
        seconds: float = MAX_FETCH_SECONDS,
    ) -> None:
        self.allow_loopback = allow_loopback
        self.max_bytes = max_bytes
        self.seconds = seconds
        self.client = httpx.Client(
            transport=_CheckedTransport(allow_loopback),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            timeout=httpx.Timeout(seconds),
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
            # A jar that keeps nothing: no cookie is sent back, not even along a redirect chain.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            event_hooks={"request": [_no_credentials]},
        )

    def get(self, url: str, accept: tuple[str, ...]) -> Fetched:
        """Fetch `url`, wanting one of the content types `accept`. Raises Refused, saying why, for
        an address that may not be fetched, a failure, a body too large or too slow, or another type
        (an answer that is not 2xx is returned with its status and no body)."""
        if not http_address(url):
            raise Refused("only http and https addresses are fetched")
        deadline = time.monotonic() + self.seconds
        try:
            with self.client.stream("GET", url, headers={"Accept": ", ".join(accept)}) as response:
                kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
                final = str(response.url)
                if not 200 <= response.status_code < 300:
                    return Fetched(final, response.status_code, kind, "", dict(response.headers))
                if kind not in accept and "*/*" in accept:
                    return Fetched(final, response.status_code, kind, "", dict(response.headers))
                if kind not in accept:
                    raise Refused(f"the answer is {kind or 'of no type'}, not {' or '.join(accept)}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise Refused(f"the answer is larger than {self.max_bytes:,} bytes")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise Refused(f"the answer is larger than {self.max_bytes:,} bytes")
                    if time.monotonic() > deadline:
                        raise Refused(f"the answer took longer than {self.seconds:g} seconds")
                text = body.decode(response.encoding or "utf-8", errors="replace")
                return Fetched(final, response.status_code, kind, text, dict(response.headers))
        except httpx.TooManyRedirects:
            raise Refused(f"more than {MAX_REDIRECTS} redirects") from None
        except httpx.UnsupportedProtocol:
            raise Refused("a redirect led to an address that is not http or https") from None
        except httpx.TimeoutException:
            raise Refused(f"no answer within {self.seconds:g} seconds") from None
        except httpx.HTTPError as error:
            raise Refused(f"the fetch failed: {type(error).__name__}") from None

    def post(self, url: str, data: dict[str, str]) -> int:
        """POST `data` form-encoded to `url` under the same rules as a fetch (no redirect is
        followed: a webmention endpoint answers where it is); the status. Raises Refused."""
        if not http_address(url):
            raise Refused("only http and https addresses are posted to")
        try:
            answer = self.client.post(url, data=data, follow_redirects=False)
        except httpx.TimeoutException:
            raise Refused(f"no answer within {self.seconds:g} seconds") from None
        except httpx.HTTPError as error:
            raise Refused(f"the post failed: {type(error).__name__}") from None
        return answer.status_code

    def close(self) -> None:
        self.client.close()
