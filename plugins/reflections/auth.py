"""The author's login to the moderation pages: an argon2 password hash in the database, a signed
session cookie (HttpOnly, SameSite=Strict, Secure when the site is served over https), a CSRF token
on every form, and rate-limited login attempts."""

import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request

from .store import Secret, Store

PASSWORD = "author-password"
MIN_PASSWORD = 10
_HASHER = PasswordHasher()


class PasswordTooShort(ValueError):
    pass


def set_password(store: Store, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise PasswordTooShort(f"a password needs at least {MIN_PASSWORD} characters")
    with store.sessions.begin() as session:
        session.merge(Secret(name=PASSWORD, value=_HASHER.hash(password)))


def has_password(store: Store) -> bool:
    with store.sessions() as session:
        return session.get(Secret, PASSWORD) is not None


def check_password(store: Store, password: str) -> bool:
    with store.sessions() as session:
        stored = session.get(Secret, PASSWORD)
    if stored is None:
        return False
    try:
        return _HASHER.verify(stored.value, password)
    except (VerificationError, InvalidHashError):
        return False


def log_in(request: Request) -> None:
    request.session.clear()
    request.session["author"] = True
    request.session["csrf"] = secrets.token_urlsafe(32)


def log_out(request: Request) -> None:
    request.session.clear()


def is_author(request: Request) -> bool:
    return request.session.get("author") is True


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(request: Request, submitted: str) -> bool:
    expected = request.session.get("csrf", "")
    return bool(expected) and hmac.compare_digest(expected, submitted or "")
