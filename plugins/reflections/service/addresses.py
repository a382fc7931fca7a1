"""Who sent a request: the TCP peer, unless it is one of the site's own trusted proxies.

Decided here and only here. Behind trusted proxies, `X-Forwarded-For` is read from the right: each
trusted proxy appends the address it saw, so the rightmost hop that is not a trusted proxy is the
client. Everything left of it was written by the client and proves nothing.
"""

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(spec: str) -> tuple[Network, ...]:
    """Trusted proxies from a setting: addresses or networks, comma-separated (empty: none).
    Raises ValueError naming an entry that is neither."""
    found = []
    for entry in (part.strip() for part in spec.split(",")):
        if not entry:
            continue
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(found)


def _trusted(address: str, trusted: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(peer: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """The client's address, given the TCP peer and the `X-Forwarded-For` header(s) joined by ","."""
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def of_request(request) -> str:
    """The client's address of a Starlette request to the service (its config names the proxies)."""
    peer = request.client.host if request.client else "unknown"
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    return client_address(peer, forwarded, request.app.state.service.config.trusted_proxies)


def is_https(scope, trusted: tuple[Network, ...]) -> bool:
    """Whether the client reached us over https: the connection itself, or a trusted proxy's
    X-Forwarded-Proto (the proxy is the TCP peer)."""
    if scope.get("scheme") == "https":
        return True
    peer = scope.get("client") or ("", 0)
    if not trusted or not _trusted(peer[0], trusted):
        return False
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-proto":
            return value.decode("latin-1").split(",")[-1].strip().lower() == "https"
    return False
