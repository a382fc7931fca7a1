"""The author's login to the moderation pages: an argon2 password hash in the database, a session
kept in the database and named by a signed cookie (HttpOnly, SameSite=Strict, Secure when the site
is served over https), a CSRF token on every form, and rate-limited login attempts.

A cookie is worth something only while its session row exists: logging out ends it, and a new
password or "log out everywhere" ends them all, so a copied cookie stops working too.
"""

import hmac
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request

from ..store import Store

PASSWORD = "author-password"
MIN_PASSWORD = 10
_HASHER = PasswordHasher()


class PasswordTooShort(ValueError):
    pass


SESSION_LIFETIME = timedelta(hours=12)


def set_password(store: Store, password: str, hasher: PasswordHasher = _HASHER) -> None:
    """A new password; every session opened with the old one ends. (`hasher`: the test suite's
    cheaper argon2; a check reads the cost from the hash itself.)"""
    if len(password) < MIN_PASSWORD:
        raise PasswordTooShort(f"a password needs at least {MIN_PASSWORD} characters")
    store.replace_secret(PASSWORD, hasher.hash(password))
    store.end_every_session()


def has_password(store: Store) -> bool:
    return store.get_secret(PASSWORD) is not None


def check_password(store: Store, password: str) -> bool:
    stored = store.get_secret(PASSWORD)
    if stored is None:
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _store(request: Request) -> Store:
    return request.app.state.service.store


def log_in(request: Request) -> None:
    request.session.clear()
    request.session["sid"] = _store(request).open_session(SESSION_LIFETIME)
    request.session["csrf"] = secrets.token_urlsafe(32)


def log_out(request: Request, everywhere: bool = False) -> None:
    store = _store(request)
    if everywhere:
        store.end_every_session()
    else:
        store.end_session(request.session.get("sid", ""))
    request.session.clear()


def is_author(request: Request) -> bool:
    """Whether the request carries a session that is still open (a database read: call it from a
    worker thread, never the event loop)."""
    session_id = request.session.get("sid")
    return isinstance(session_id, str) and _store(request).session_alive(session_id)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(request: Request, submitted: str) -> bool:
    expected = request.session.get("csrf", "")
    # Bytes, not str: compare_digest refuses a str with non-ASCII characters (a forged token may
    # have any), and a refusal must be a 403, never an exception.
    return bool(expected) and hmac.compare_digest(
        str(expected).encode("utf-8"), (submitted or "").encode("utf-8", "surrogatepass")
    )


# The way in when logins are paused: a one-time link made on the server, by someone with a shell.
LOGIN_LINK = "login-link"
LOGIN_LINK_SECONDS = 600


def login_link_token(store: Store, secret: str) -> str:
    """A token for one login, valid LOGIN_LINK_SECONDS; making another cancels the one before."""
    nonce = secrets.token_urlsafe(24)
    store.replace_secret(LOGIN_LINK, nonce)
    return URLSafeTimedSerializer(secret, salt=LOGIN_LINK).dumps(nonce)


def use_login_link(store: Store, secret: str, token: str) -> bool:
    """Whether the token is the current login link; it is spent either way it was right."""
    try:
        nonce = URLSafeTimedSerializer(secret, salt=LOGIN_LINK).loads(token, max_age=LOGIN_LINK_SECONDS)
    except BadSignature:
        return False
    expected = store.get_secret(LOGIN_LINK) or ""
    if not expected or not isinstance(nonce, str):
        return False
    if not hmac.compare_digest(expected.encode("utf-8"), nonce.encode("utf-8", "surrogatepass")):
        return False
    store.replace_secret(LOGIN_LINK, "")
    return True
