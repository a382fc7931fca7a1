"""The service's configuration: read once, from the environment, with typed casts."""

import os
from dataclasses import dataclass
from pathlib import Path

from starlette.config import Config

from ..core.errors import SettingError
from . import addresses


@dataclass(frozen=True)
class ServiceConfig:
    site: Path
    settings_file: Path
    database_url: str
    database_timeout: float
    secret: str
    rate_limits: str
    login_rate_limits: str
    login_global_rate_limits: str
    secure_cookie: bool | None
    rate_limit_storage: str
    max_links: int
    hold_words: tuple[str, ...]
    token_min_seconds: int
    token_max_seconds: int
    duplicate_days: int
    max_request_bytes: int
    trusted_proxies: tuple
    smtp_url: str
    mail_from: str
    author_email: str
    notify: str
    public_url: str
    mail_retry_seconds: float
    mail_interval: float
    digest_seconds: int
    deploy: str = ""
    #: The Content-Security-Policy of the site's pages (not the service's): "" for Withness's own
    #: strict policy, "none" for no header, or a policy of the operator's for a theme that needs one.
    site_csp: str = ""
    #: Hours (start, end) of the site's day when the author is not written to ("22-7"), or None.
    quiet_hours: tuple[int, int] | None = None


def _choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def load(environ: dict | None = None) -> ServiceConfig:
    """The configuration from `environ` (default: the process environment). Raises SettingError,
    one line naming the setting, for any value that cannot be used."""
    try:
        return _read(environ)
    except SettingError:
        raise
    except ValueError as error:  # Starlette's casts and the checks below
        raise SettingError(str(error)) from None


def _read(environ: dict | None) -> ServiceConfig:
    config = Config(environ=os.environ if environ is None else environ)
    if config("REFLECTIONS_TRUST_PROXY", default=""):
        # Its leftmost X-Forwarded-For entry was written by the client: refuse rather than guess.
        raise ValueError(
            "REFLECTIONS_TRUST_PROXY is gone: name your own proxies in REFLECTIONS_TRUSTED_PROXIES "
            "(for example REFLECTIONS_TRUSTED_PROXIES=127.0.0.1) and unset it"
        )
    try:
        trusted_proxies = addresses.networks(config("REFLECTIONS_TRUSTED_PROXIES", default=""))
    except ValueError as error:
        raise ValueError(f"REFLECTIONS_TRUSTED_PROXIES: {error}") from None
    site = Path(config("REFLECTIONS_SITE", default=os.getcwd())).resolve()
    default_db = f"sqlite:///{site / 'reflections.db'}"
    words_file = config("REFLECTIONS_HOLD_WORDS_FILE", default="")
    words = config("REFLECTIONS_HOLD_WORDS", default="").split(",")
    if words_file:
        try:
            words += Path(words_file).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise SettingError(f"REFLECTIONS_HOLD_WORDS_FILE: {words_file}: {error.strerror}") from None
    return ServiceConfig(
        site=site,
        settings_file=site / config("REFLECTIONS_SETTINGS", default="pelicanconf.py"),
        database_url=config("REFLECTIONS_DATABASE_URL", default=default_db),
        database_timeout=config("REFLECTIONS_DATABASE_TIMEOUT", cast=float, default=5.0),
        secret=config("REFLECTIONS_SECRET", default=""),
        rate_limits=config("REFLECTIONS_RATE_LIMITS", default="5/minute;30/day"),
        login_rate_limits=config("REFLECTIONS_LOGIN_RATE_LIMITS", default="5/minute;20/hour"),
        login_global_rate_limits=config("REFLECTIONS_LOGIN_GLOBAL_RATE_LIMITS", default="30/minute;200/day"),
        secure_cookie=config("REFLECTIONS_SECURE_COOKIE", cast=bool, default=None),
        rate_limit_storage=config("REFLECTIONS_RATE_LIMIT_STORAGE", default="memory://"),
        max_links=config("REFLECTIONS_MAX_LINKS", cast=int, default=3),
        hold_words=tuple(word.strip().lower() for word in words if word.strip()),
        token_min_seconds=config("REFLECTIONS_TOKEN_MIN_SECONDS", cast=int, default=3),
        token_max_seconds=config("REFLECTIONS_TOKEN_MAX_SECONDS", cast=int, default=2 * 24 * 3600),
        duplicate_days=config("REFLECTIONS_DUPLICATE_DAYS", cast=int, default=30),
        max_request_bytes=config("REFLECTIONS_MAX_REQUEST_BYTES", cast=int, default=64 * 1024),
        trusted_proxies=trusted_proxies,
        smtp_url=config("REFLECTIONS_SMTP_URL", default=""),
        mail_from=config("REFLECTIONS_MAIL_FROM", default="Withness <reflections@localhost>"),
        author_email=config("REFLECTIONS_AUTHOR_EMAIL", default=""),
        notify=_choice(
            config("REFLECTIONS_NOTIFY", default="each"), ("each", "digest", "off"), "REFLECTIONS_NOTIFY"
        ),
        public_url=config("REFLECTIONS_PUBLIC_URL", default=""),
        mail_retry_seconds=config("REFLECTIONS_MAIL_RETRY_SECONDS", cast=float, default=30.0),
        mail_interval=config("REFLECTIONS_MAIL_INTERVAL", cast=float, default=5.0),
        digest_seconds=config("REFLECTIONS_DIGEST_SECONDS", cast=int, default=24 * 3600),
        deploy=config("REFLECTIONS_DEPLOY", default=""),
        site_csp=_policy(config("REFLECTIONS_SITE_CSP", default="")),
        quiet_hours=_hours(config("REFLECTIONS_QUIET_HOURS", default="")),
    )


def _policy(value: str) -> str:
    """REFLECTIONS_SITE_CSP as a header value: one line of printable ASCII without a double quote
    (which would end the value in an nginx or Caddy recipe), or "none"."""
    value = " ".join(value.split())
    if value.lower() == "none":
        return "none"
    if not all(" " <= c <= "~" and c != '"' for c in value):
        raise ValueError(
            "REFLECTIONS_SITE_CSP must be a Content-Security-Policy in printable ASCII without double "
            "quotes (sources are quoted with single ones: 'self'), or none"
        )
    return value


def _hours(value: str) -> tuple[int, int] | None:
    """ "22-7" as (22, 7): the author's quiet hours, on the site's clock."""
    if not value.strip():
        return None
    start, dash, end = value.strip().partition("-")
    try:
        hours = (int(start), int(end))
    except ValueError:
        hours = None
    if not dash or hours is None or not all(0 <= hour <= 23 for hour in hours) or hours[0] == hours[1]:
        raise ValueError(f"REFLECTIONS_QUIET_HOURS must be two hours of the day, such as 22-7, not {value!r}")
    return hours


def public_url(config: ServiceConfig, settings: dict, host: str = "127.0.0.1", port: int = 8000) -> str:
    """The address links in mails and the login link start with: REFLECTIONS_PUBLIC_URL, else the
    site's REFLECTIONS_SERVICE_URL (the service elsewhere), else an absolute SITEURL, else where
    `reflections serve` listens (its real host and port)."""
    if config.public_url:
        return config.public_url.rstrip("/")
    site_url = str(settings.get("REFLECTIONS_SERVICE_URL") or settings.get("SITEURL") or "")
    if site_url.startswith(("http://", "https://")):
        return site_url.rstrip("/")
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}"
