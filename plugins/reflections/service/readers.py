"""Who a reader is, as the author's marks know them: a confirmed email (kept only as a keyed hash),
the domain a reply from elsewhere was written on, an account on Mastodon or Bluesky. What a
blocked reader sends is kept as spam, silently; a trusted one's is published without waiting
(REFLECTIONS_TRUST_RETURNING), unless its words need care or hold a held word."""

from itsdangerous import BadSignature, URLSafeSerializer

from ..elsewhere import remote
from ..store import Reflection, Store

#: The cookie that proves, in the browser a reader confirmed their address from, that the address
#: is theirs: a trusted reader is recognised by it, never by an address anyone could type.
COOKIE = "withness_reader"
#: A year: a reader who comes back within it is still known in that browser.
COOKIE_SECONDS = 365 * 24 * 3600


def identities(
    row: Reflection, store: Store, reader_key, confirmed_only: bool = True
) -> list[tuple[str, str]]:
    """(what, value) for each way `row`'s reader may be marked. An email counts only once its
    reader confirmed it (the double opt-in), unless `confirmed_only` is False (a block holds for
    an address whoever types it)."""
    found = remote.identities(row.origin, row.source, row.website)
    if row.email:
        subscriber = store.subscriber(row.email) if confirmed_only else None
        if not confirmed_only or (
            subscriber is not None and subscriber.confirmed and not subscriber.unsubscribed
        ):
            found.insert(0, ("email", reader_key(row.email)))
    return found


def _signer(guard) -> URLSafeSerializer:
    return URLSafeSerializer(guard.secret, salt="reader-proof")


def proof(guard, email: str) -> str:
    """The cookie's value for a reader who just confirmed `email`."""
    return _signer(guard).dumps(guard.reader_key(email))


def proven(guard, email: str, cookie: str) -> bool:
    """Whether `cookie` proves that this browser's reader confirmed `email`."""
    try:
        return bool(email) and _signer(guard).loads(cookie) == guard.reader_key(email)
    except BadSignature:
        return False


def trusted_reader(service, email: str, visibility: str, cookie: str) -> bool:
    """Whether a reader's new public reflection is published without waiting: the site trusts
    returning readers (REFLECTIONS_TRUST_RETURNING), this browser proves the confirmed address, and
    the author trusts that address or approved an earlier public reflection from it."""
    if not (service.settings.get("REFLECTIONS_TRUST_RETURNING") and visibility == "public" and email):
        return False
    subscriber = service.store.subscriber(email)
    if subscriber is None or not subscriber.confirmed or subscriber.unsubscribed:
        return False
    if not proven(service.guard, email, cookie):
        return False
    key = service.guard.reader_key(email)
    return service.store.marked("trusted", [("email", key)]) or service.store.approved_from(email)
