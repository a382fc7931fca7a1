"""The spam guard, with no third party: honeypot, signed form tokens, rate limits, link and word
rules, duplicate bodies. A reader's address is only ever kept as a keyed hash whose key changes
every day, so yesterday's hashes cannot be linked to today's.
"""

import hashlib
import hmac
import re
import secrets
import time
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from limits import parse_many
from limits.errors import ConfigurationError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ..core.errors import MissingExtra, SettingError, install_hint
from ..store import Store
from .config import ServiceConfig

# One per address: a scheme, or a bare www. that no scheme precedes.
_LINK = re.compile(r"\b(?:https?://|mailto:)|(?<![/\w.])www\.", re.IGNORECASE)


def _storage(url: str):
    """Where rate limits are counted; a Redis URL without the redis package is one line saying so."""
    try:
        return storage_from_string(url)
    except ConfigurationError as error:
        if url.startswith(("redis", "rediss")):
            raise MissingExtra(
                "REFLECTIONS_RATE_LIMIT_STORAGE names Redis, which needs the redis extra: "
                + install_hint("redis")
            ) from None
        raise SettingError(f"REFLECTIONS_RATE_LIMIT_STORAGE: {error}") from None


class Guard:
    def __init__(self, config: ServiceConfig, store: Store) -> None:
        self.config = config
        self.store = store
        secret = config.secret or store.secret("signing", lambda: secrets.token_urlsafe(32))
        self.secret = secret
        self._secret = secret.encode("utf-8")
        self._forms = URLSafeTimedSerializer(secret, salt="reflection-form")
        self._withdrawals = URLSafeSerializer(secret, salt="reflection-withdraw")
        self._limits = parse_many(config.rate_limits)
        self._login_limits = parse_many(config.login_rate_limits)
        self._global_login_limits = parse_many(config.login_global_rate_limits)
        self._mention_limits = parse_many(config.mention_rate_limits)
        self._global_mention_limits = parse_many(config.mention_global_rate_limits)
        storage = _storage(config.rate_limit_storage)
        #: Limits counted in this process's memory, with no round trip to wait for: the submit path
        #: then makes its checks on the event loop (submitting.py).
        self.counts_here = isinstance(storage, MemoryStorage)
        self._limiter = MovingWindowRateLimiter(storage)

    def session_key(self) -> str:
        """The key that signs the author's session cookie (derived: never the same as the others)."""
        return hmac.new(self._secret, b"author-session", hashlib.sha256).hexdigest()

    # Form tokens: prove a person saw a form before sending (and did not send it instantly).
    def form_token(self, essay: str) -> str:
        # "at": the moment to the microsecond (itsdangerous keeps whole seconds, which would let a
        # token a little under the minimum age through); "n": a nonce the store remembers once the
        # token has vouched, so it vouches once.
        return self._forms.dumps({"essay": essay, "at": time.time(), "n": secrets.token_urlsafe(12)})

    def token_nonce(self, token: str) -> str:
        """What the store remembers of a token that vouched (call after token_problem said None)."""
        try:
            data = self._forms.loads(token)
        except BadSignature:
            return ""
        nonce = data.get("n") if isinstance(data, dict) else None
        # Tokens made before nonces existed are single-use too, by their own digest.
        return nonce if isinstance(nonce, str) and nonce else hashlib.sha256(token.encode()).hexdigest()[:32]

    def tokens_issued_since(self) -> datetime:
        """A token issued before this moment has expired: the store may forget it was used."""
        return datetime.now(UTC) - timedelta(seconds=self.config.token_max_seconds)

    def token_problem(self, token: str, essay: str) -> str | None:
        """Why this token does not vouch for a submission to `essay`, or None when it does."""
        return self.token_verdict(token, essay)[0]

    def token_verdict(self, token: str, essay: str) -> tuple[str | None, float]:
        """(why the token does not vouch, or None; how long it has left to its minimum age when it
        is only too young, else 0). The service holds such a submission that long instead of asking
        again: a person who sends at once is never looped, and a program still spends the minimum
        age on every token."""
        problem, age = self._token_age(token, essay)
        return problem, max(0.0, self.config.token_min_seconds - age) if problem == "too fast" else 0.0

    def _token_age(self, token: str, essay: str) -> tuple[str | None, float]:
        if not token:
            return "missing", 0.0
        try:
            data, issued = self._forms.loads(
                token, max_age=self.config.token_max_seconds, return_timestamp=True
            )
        except SignatureExpired:
            return "expired", 0.0
        except BadSignature:
            return "invalid", 0.0
        if not isinstance(data, dict) or data.get("essay") != essay:
            return "for another essay", 0.0
        at = data.get("at")
        age = time.time() - (at if isinstance(at, float) else issued.timestamp())
        return ("too fast" if age < self.config.token_min_seconds else None), age

    # Withdraw tokens: the reader's key to their own reflection.
    def withdraw_token(self, item_id: str) -> str:
        return self._withdrawals.dumps(item_id)

    def item_from_withdraw_token(self, token: str) -> str | None:
        try:
            item_id = self._withdrawals.loads(token)
        except BadSignature:
            return None
        return item_id if isinstance(item_id, str) else None

    # Addresses: never stored, only hashed with a key that rotates daily.
    def address_hash(self, address: str, day: str | None = None) -> str:
        day = day or datetime.now(UTC).strftime("%Y-%m-%d")
        daily_key = hmac.new(self._secret, f"address-key:{day}".encode(), hashlib.sha256).digest()
        return hmac.new(daily_key, address.encode("utf-8"), hashlib.sha256).hexdigest()

    def reader_key(self, email: str) -> str:
        """A reader's email address as the author's marks keep it: a keyed hash, never the address."""
        key = hmac.new(self._secret, b"reader-key", hashlib.sha256).digest()
        return hmac.new(key, email.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()

    def over_rate_limit(self, address_hash: str) -> bool:
        return not all(self._limiter.test(limit, "submit", address_hash) for limit in self._limits)

    def count_submission(self, address_hash: str) -> None:
        for limit in self._limits:
            self._limiter.hit(limit, "submit", address_hash)

    def login_limited(self, address_hash: str) -> bool:
        return not all(self._limiter.test(limit, "login", address_hash) for limit in self._login_limits)

    def count_login(self, address_hash: str) -> None:
        for limit in self._login_limits:
            self._limiter.hit(limit, "login", address_hash)

    # Wrong passwords from everywhere together: a guess spread over many addresses is slowed too.
    # Past this limit logins pause for everyone; `reflections login-link` still lets the author in.
    def logins_paused(self) -> bool:
        return not all(
            self._limiter.test(limit, "login-failed", "all") for limit in self._global_login_limits
        )

    def count_failed_login(self) -> None:
        for limit in self._global_login_limits:
            self._limiter.hit(limit, "login-failed", "all")

    def too_many_links(self, body: str) -> bool:
        return len(_LINK.findall(body)) > self.config.max_links

    def held_words(self, *texts: str) -> list[str]:
        joined = " ".join(texts).lower()
        return [word for word in self.config.hold_words if word in joined]

    def duplicate_since(self) -> datetime:
        """The same body on the same essay since this moment is a duplicate."""
        return datetime.now(UTC) - timedelta(days=self.config.duplicate_days)

    def take_mention(self, source_host: str) -> bool:
        """Whether a webmention from `source_host` may be taken (and so fetched) now; counted when
        it may. Per host, and for every host together: a flood fetches nothing."""
        per_host = [(limit, "mention", source_host) for limit in self._mention_limits]
        everyone = [(limit, "mention-all", "all") for limit in self._global_mention_limits]
        if not all(self._limiter.test(*check) for check in per_host + everyone):
            return False
        return all([self._limiter.hit(*check) for check in per_host + everyone])
