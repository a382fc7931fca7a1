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
    #: Replies from elsewhere (elsewhere/): what may be fetched, how often, from where.
    fetch_allow_loopback: bool = False
    mention_rate_limits: str = "5/minute;50/day"
    mention_global_rate_limits: str = "30/minute"
    bluesky_appview: str = "https://public.api.bsky.app"
    replies_interval: float = 5.0


@dataclass(frozen=True)
class Variable:
    """One of the service's environment variables: the docs' reference is made from these."""

    name: str
    default: object
    meaning: str
    cast: type = str
    #: How the docs describe a default that is worked out at start rather than a plain value.
    shown: str = ""


_DAY = 24 * 3600

#: Every environment variable the service and the `reflections` command read, in one place.
VARIABLES = {
    variable.name: variable
    for variable in (
        Variable(
            "REFLECTIONS_SITE", "", "The site folder (with `pelicanconf.py`).", shown="the current folder"
        ),
        Variable("REFLECTIONS_SETTINGS", "pelicanconf.py", "The settings file inside the site folder."),
        Variable(
            "REFLECTIONS_DATABASE_URL",
            "",
            "The queue. A PostgreSQL URL for several service instances, in any spelling a host hands out "
            "(`postgres://…`, `postgresql://…`, `postgresql+psycopg://…`, all read with psycopg); it "
            "needs the `postgres` extra (`pip install 'withness[postgres]'`). Anything else is refused "
            "in one line.",
            shown="`sqlite:///<site>/reflections.db`",
        ),
        Variable(
            "REFLECTIONS_DATABASE_TIMEOUT",
            5.0,
            "Seconds a write waits for a locked database before the reader is asked to try again (503).",
            cast=float,
        ),
        Variable(
            "REFLECTIONS_SECRET",
            "",
            "Signs form, withdraw and mail-link tokens and keys the address hashes.",
            shown="made on first start and kept in the database",
        ),
        Variable("REFLECTIONS_RATE_LIMITS", "5/minute;30/day", "Accepted submissions per address."),
        Variable(
            "REFLECTIONS_LOGIN_RATE_LIMITS",
            "5/minute;20/hour",
            "Login attempts per address on the moderation pages.",
        ),
        Variable(
            "REFLECTIONS_LOGIN_GLOBAL_RATE_LIMITS",
            "30/minute;200/day",
            "Wrong passwords from all addresses together; past it, logins pause for everyone (a guess "
            "spread over many addresses is slowed too) and `reflections login-link` is the way in.",
        ),
        Variable(
            "REFLECTIONS_SECURE_COOKIE",
            None,
            "Send the author's session cookie only over https. A request that came over https, directly "
            "or through a trusted proxy's `X-Forwarded-Proto`, always gets Secure cookies.",
            cast=bool,
            shown="`true` when `SITEURL` is https",
        ),
        Variable(
            "REFLECTIONS_RATE_LIMIT_STORAGE",
            "memory://",
            "Where rate limits are counted; `redis://…` to share them between instances (needs the "
            "`redis` extra: `pip install 'withness[redis]'`).",
        ),
        Variable("REFLECTIONS_MAX_LINKS", 3, "Links allowed in one body.", cast=int),
        Variable("REFLECTIONS_HOLD_WORDS", "", "Comma-separated words that hold an item for review."),
        Variable("REFLECTIONS_HOLD_WORDS_FILE", "", "A file of such words, one a line."),
        Variable(
            "REFLECTIONS_TOKEN_MIN_SECONDS",
            3,
            "A submission whose form token is younger than this is held until it is this old (at most "
            "10 s; past that the reader is asked to send again).",
            cast=int,
        ),
        Variable(
            "REFLECTIONS_TOKEN_MAX_SECONDS", 2 * _DAY, "A form token older than this has expired.", cast=int
        ),
        Variable(
            "REFLECTIONS_DUPLICATE_DAYS",
            30,
            "How far back the same body on the same essay counts as a duplicate.",
            cast=int,
        ),
        Variable(
            "REFLECTIONS_MAX_REQUEST_BYTES",
            64 * 1024,
            "Larger requests are refused before they are read.",
            cast=int,
        ),
        Variable(
            "REFLECTIONS_TRUSTED_PROXIES",
            "",
            "Your own proxies, as addresses or networks, comma-separated (`127.0.0.1, ::1`). Only a "
            "request from one of them has its `X-Forwarded-For` read, from the right: the rightmost hop "
            "that is not a trusted proxy is the reader. Without it, the header is ignored and the TCP "
            "peer is the reader.",
        ),
        Variable(
            "REFLECTIONS_TRUST_PROXY",
            "",
            "Gone, replaced by `REFLECTIONS_TRUSTED_PROXIES` (it trusted the leftmost, client-written "
            "entry). When it is set, every command stops with one line saying so.",
        ),
        Variable(
            "REFLECTIONS_SMTP_URL",
            "",
            "The mail server: `smtp://host:25`, `smtp://user:password@host:587?starttls=true` or "
            "`smtps://user:password@host:465`. Empty: no mail.",
        ),
        Variable("REFLECTIONS_MAIL_FROM", "Withness <reflections@localhost>", "The sender of every mail."),
        Variable("REFLECTIONS_AUTHOR_EMAIL", "", "Where the author's notices go."),
        Variable("REFLECTIONS_NOTIFY", "each", "`each`, `digest` (one a day) or `off`."),
        Variable("REFLECTIONS_DIGEST_SECONDS", _DAY, "How often the digest goes out.", cast=int),
        Variable(
            "REFLECTIONS_QUIET_HOURS",
            "",
            "Hours of the site's day (`TIMEZONE`) when the author is not written to, such as `22-7`: a "
            "notice or digest due then waits till they end; one that needs care is never held.",
        ),
        Variable(
            "REFLECTIONS_PUBLIC_URL",
            "",
            "The address links in mails start with; its path (`/blog` of `https://example.org/blog`) is "
            "where the service's pages live for a browser.",
            shown="`REFLECTIONS_SERVICE_URL`, else `SITEURL` when absolute, else where `reflections serve` "
            "listens",
        ),
        Variable("REFLECTIONS_MAIL_INTERVAL", 5.0, "Seconds between the mail worker's rounds.", cast=float),
        Variable(
            "REFLECTIONS_MAIL_RETRY_SECONDS",
            30.0,
            "The first wait after a failed send; it doubles each time, up to an hour.",
            cast=float,
        ),
        Variable(
            "REFLECTIONS_DEPLOY",
            "",
            "Where each publication's changes go after the publisher wrote them: `rsync:DESTINATION` (a "
            "folder or `host:/path` over ssh), `git:REMOTE [BRANCH]` (the published reflections committed "
            "and pushed, for hosts that build from the repository), or `command:COMMAND` (run in the site "
            "folder with the changed files' paths on its input, `WITHNESS_DEPLOY_ALL=1` for a whole "
            "build). A failed deploy is kept, retried (15 s, doubling, up to 10 minutes) and shown on "
            "the moderation pages; the publication itself is never held up. Empty: none.",
        ),
        Variable(
            "REFLECTIONS_SITE_CSP",
            "",
            "The Content-Security-Policy of the site's pages, for a theme the strict one would break: a "
            "policy (one line, single-quoted sources), or `none` for no header. `serve` and the "
            "nginx/Caddy recipes follow it; the service's own pages keep theirs.",
            shown="empty: Withness's strict policy",
        ),
        Variable(
            "REFLECTIONS_FETCH_ALLOW_LOOPBACK",
            False,
            "For tests and local trials only: lets the fetches of replies from elsewhere (webmention "
            "sources, Mastodon, Bluesky) reach 127.0.0.0/8 and ::1. Every other private, link-local, "
            "multicast or reserved address stays refused. Never set it on a public service: a "
            "webmention could then make it fetch the machine's own ports.",
            cast=bool,
        ),
        Variable(
            "REFLECTIONS_MENTION_RATE_LIMITS",
            "5/minute;50/day",
            "Webmentions accepted per source host; past it, a 429 and nothing fetched.",
        ),
        Variable(
            "REFLECTIONS_MENTION_GLOBAL_RATE_LIMITS",
            "30/minute",
            "Webmentions accepted from every host together, so fetches a minute: a flood is refused "
            "with 429 and fetches nothing.",
        ),
        Variable(
            "REFLECTIONS_BLUESKY_APPVIEW",
            "https://public.api.bsky.app",
            "The Bluesky AppView whose public `app.bsky.feed.getPostThread` gives a post's replies.",
        ),
        Variable(
            "REFLECTIONS_REPLIES_INTERVAL",
            5.0,
            "Seconds between two looks of the replies worker for webmentions to verify and posts "
            "elsewhere whose replies are due (a webmention received wakes it at once).",
            cast=float,
        ),
    )
}


def _get(config: Config, name: str):
    """The variable `name` as the environment gives it, cast, or its declared default."""
    variable = VARIABLES[name]
    cast = None if variable.cast is str else variable.cast
    return config(name, cast=cast, default=variable.default)


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
    if _get(config, "REFLECTIONS_TRUST_PROXY"):
        # Its leftmost X-Forwarded-For entry was written by the client: refuse rather than guess.
        raise ValueError(
            "REFLECTIONS_TRUST_PROXY is gone: name your own proxies in REFLECTIONS_TRUSTED_PROXIES "
            "(for example REFLECTIONS_TRUSTED_PROXIES=127.0.0.1) and unset it"
        )
    try:
        trusted_proxies = addresses.networks(_get(config, "REFLECTIONS_TRUSTED_PROXIES"))
    except ValueError as error:
        raise ValueError(f"REFLECTIONS_TRUSTED_PROXIES: {error}") from None
    site = Path(_get(config, "REFLECTIONS_SITE") or os.getcwd()).resolve()
    default_db = f"sqlite:///{site / 'reflections.db'}"
    words_file = _get(config, "REFLECTIONS_HOLD_WORDS_FILE")
    words = _get(config, "REFLECTIONS_HOLD_WORDS").split(",")
    if words_file:
        try:
            words += Path(words_file).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise SettingError(f"REFLECTIONS_HOLD_WORDS_FILE: {words_file}: {error.strerror}") from None
    return ServiceConfig(
        site=site,
        settings_file=site / _get(config, "REFLECTIONS_SETTINGS"),
        database_url=_get(config, "REFLECTIONS_DATABASE_URL") or default_db,
        database_timeout=_get(config, "REFLECTIONS_DATABASE_TIMEOUT"),
        secret=_get(config, "REFLECTIONS_SECRET"),
        rate_limits=_get(config, "REFLECTIONS_RATE_LIMITS"),
        login_rate_limits=_get(config, "REFLECTIONS_LOGIN_RATE_LIMITS"),
        login_global_rate_limits=_get(config, "REFLECTIONS_LOGIN_GLOBAL_RATE_LIMITS"),
        secure_cookie=_get(config, "REFLECTIONS_SECURE_COOKIE"),
        rate_limit_storage=_get(config, "REFLECTIONS_RATE_LIMIT_STORAGE"),
        max_links=_get(config, "REFLECTIONS_MAX_LINKS"),
        hold_words=tuple(word.strip().lower() for word in words if word.strip()),
        token_min_seconds=_get(config, "REFLECTIONS_TOKEN_MIN_SECONDS"),
        token_max_seconds=_get(config, "REFLECTIONS_TOKEN_MAX_SECONDS"),
        duplicate_days=_get(config, "REFLECTIONS_DUPLICATE_DAYS"),
        max_request_bytes=_get(config, "REFLECTIONS_MAX_REQUEST_BYTES"),
        trusted_proxies=trusted_proxies,
        smtp_url=_get(config, "REFLECTIONS_SMTP_URL"),
        mail_from=_get(config, "REFLECTIONS_MAIL_FROM"),
        author_email=_get(config, "REFLECTIONS_AUTHOR_EMAIL"),
        notify=_choice(_get(config, "REFLECTIONS_NOTIFY"), ("each", "digest", "off"), "REFLECTIONS_NOTIFY"),
        public_url=_get(config, "REFLECTIONS_PUBLIC_URL"),
        mail_retry_seconds=_get(config, "REFLECTIONS_MAIL_RETRY_SECONDS"),
        mail_interval=_get(config, "REFLECTIONS_MAIL_INTERVAL"),
        digest_seconds=_get(config, "REFLECTIONS_DIGEST_SECONDS"),
        deploy=_get(config, "REFLECTIONS_DEPLOY"),
        site_csp=_policy(_get(config, "REFLECTIONS_SITE_CSP")),
        quiet_hours=_hours(_get(config, "REFLECTIONS_QUIET_HOURS")),
        fetch_allow_loopback=_get(config, "REFLECTIONS_FETCH_ALLOW_LOOPBACK"),
        mention_rate_limits=_get(config, "REFLECTIONS_MENTION_RATE_LIMITS"),
        mention_global_rate_limits=_get(config, "REFLECTIONS_MENTION_GLOBAL_RATE_LIMITS"),
        bluesky_appview=_get(config, "REFLECTIONS_BLUESKY_APPVIEW").rstrip("/"),
        replies_interval=_get(config, "REFLECTIONS_REPLIES_INTERVAL"),
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
