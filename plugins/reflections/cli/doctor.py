"""`reflections doctor`: is this site ready to go live? One line per problem, each with what to do."""

import smtplib
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from ..publisher import deploy
from ..service.config import ServiceConfig
from ..service.origins import origin_of
from ..store import Store, StoreUnavailable

LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
#: Pages of the built site looked through for what the strict site policy would block.
PAGES_LOOKED_AT = 200


class _Blocked(HTMLParser):
    """What in a page Withness's strict site policy (default-src 'self') would stop: inline scripts,
    event handler attributes, inline styles, and scripts, styles, fonts or http: images from
    another origin."""

    def __init__(self, own: str = "") -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.own = own  # the site's own origin (an absolute SITEURL): 'self' allows it

    def _elsewhere(self, address: str) -> bool:
        if not address.startswith(("http:", "https:", "//")):
            return False
        full = "https:" + address if address.startswith("//") else address
        return not self.own or origin_of(full) != self.own

    def handle_starttag(self, tag: str, attrs: list) -> None:
        given = {name: value or "" for name, value in attrs}
        if any(name.startswith("on") and len(name) > 2 for name in given):
            self.found.append("an event handler attribute (onclick=…)")
        if "style" in given:
            self.found.append("a style attribute")
        source = given.get("src", "")
        if tag == "script":
            if self._elsewhere(source):
                self.found.append(f"a script from {origin_of(source) or source}")
            elif not source and given.get("type", "") not in ("application/ld+json", "application/json"):
                self.found.append("an inline script")
        elif tag == "style":
            self.found.append("a <style> element")
        elif tag == "link" and "stylesheet" in given.get("rel", "").lower():
            if self._elsewhere(given.get("href", "")):
                self.found.append(f"a stylesheet from {origin_of(given['href']) or given['href']}")
        elif tag == "img" and source.startswith("http:") and self._elsewhere(source):
            self.found.append("an http: image")


def blocked_by_the_site_policy(output: Path, own: str = "") -> list[tuple[str, str]]:
    """(page, what) for each kind of thing the strict site policy would block in the built site."""
    seen: dict[str, str] = {}
    pages = sorted(output.rglob("*.html"))[:PAGES_LOOKED_AT] if output.is_dir() else []
    for page in pages:
        parser = _Blocked(own)
        try:
            parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        except (OSError, AssertionError):
            continue
        for what in parser.found:
            seen.setdefault(what, str(page.relative_to(output)))
    return [(page, what) for what, page in seen.items()]


def _local(url: str) -> bool:
    return any(f"//{host}" in url for host in LOCAL_HOSTS)


def _reachable(url: str) -> str:
    """ "" when the service answers its health check at `url`, else why not."""
    try:
        with urllib.request.urlopen(f"{url}/reflections/health", timeout=5.0) as answer:
            return "" if answer.status == 200 else f"it answered {answer.status}"
    except urllib.error.HTTPError as error:
        return f"it answered {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return str(getattr(error, "reason", error))


def _mail_problem(smtp_url: str) -> str:
    """ "" when the mail server greets, takes TLS if asked and the login if given, else why not.
    Nothing is sent."""
    from ..service.mail import smtp_session

    try:
        with smtp_session(smtp_url, timeout=10):
            return ""
    except smtplib.SMTPAuthenticationError:
        return "it refused the login in the URL"
    except (smtplib.SMTPException, OSError, ValueError) as error:
        url = urlsplit(smtp_url)
        where = f"{url.hostname or '127.0.0.1'}:{url.port or (465 if url.scheme == 'smtps' else 25)}"
        return f"{where}: {' '.join(str(error).split()) or type(error).__name__}"


def problems(config: ServiceConfig, settings: dict) -> list[str]:
    """What stands between this site and the internet, one line each (empty: ready)."""
    found = []
    site_url = str(settings.get("SITEURL") or "")
    service_url = str(settings.get("REFLECTIONS_SERVICE_URL") or "").rstrip("/")
    if not origin_of(site_url):
        found.append(
            f"SITEURL is {site_url!r}: set the site's absolute address (https://…) in "
            f"{config.settings_file.name}, or check with REFLECTIONS_SETTINGS=publishconf.py"
        )
    elif site_url.startswith("http://") and not _local(site_url):
        found.append(f"SITEURL {site_url} is not https: readers' words would cross the internet unencrypted")
    if service_url and service_url.startswith("http://") and not _local(service_url):
        found.append(f"REFLECTIONS_SERVICE_URL {service_url} is not https")
    address = service_url or site_url.rstrip("/")
    if origin_of(address):
        reason = _reachable(address)
        if reason:
            found.append(f"the service does not answer at {address}/reflections/health: {reason}")
    try:
        Store(config.database_url, config.database_timeout).count_pending()
    except StoreUnavailable as error:
        found.append(f"the database cannot be reached (REFLECTIONS_DATABASE_URL): {error}")
    if config.secret and len(config.secret) < 32:
        found.append(
            "REFLECTIONS_SECRET is shorter than 32 characters: unset it (one is made) or make it longer"
        )
    if config.notify != "off":
        if not config.smtp_url:
            found.append(
                "mail is not configured: set REFLECTIONS_SMTP_URL (or REFLECTIONS_NOTIFY=off to go without)"
            )
        else:
            reason = _mail_problem(config.smtp_url)
            if reason:
                found.append(f"the mail server (REFLECTIONS_SMTP_URL) does not take mail: {reason}")
        if not config.author_email:
            found.append("REFLECTIONS_AUTHOR_EMAIL is not set: new reflections would notify no one")
        else:
            try:
                validate_email(config.author_email, check_deliverability=False)
            except EmailNotValidError as error:
                found.append(f"REFLECTIONS_AUTHOR_EMAIL {config.author_email!r} is not an address: {error}")
    if config.public_url == "" and not origin_of(address):
        found.append("REFLECTIONS_PUBLIC_URL is not set: links in mails would point at the service's port")
    if not config.trusted_proxies:
        found.append(
            "REFLECTIONS_TRUSTED_PROXIES is empty: behind a web server every reader shares its address "
            "and its rate limit (set it to 127.0.0.1 when nginx or Caddy is in front)"
        )
    if not config.site_csp:
        output = Path(settings.get("OUTPUT_PATH") or config.site / "output")
        blocked = blocked_by_the_site_policy(output, origin_of(site_url))
        if blocked:
            listed = "; ".join(f"{what} ({page})" for page, what in blocked[:4])
            more = f" and {len(blocked) - 4} more" if len(blocked) > 4 else ""
            found.append(
                f"the theme's pages would be broken by the site's Content-Security-Policy (default-src "
                f"'self'): {listed}{more}. Set REFLECTIONS_SITE_CSP to a policy that allows them, or "
                "to none; serve and the recipes follow it"
            )
    try:
        target = deploy.target(config.deploy, config.settings_file.parent, settings)
    except ValueError as error:
        found.append(str(error))
        return found
    if service_url and target is None:
        found.append(
            "REFLECTIONS_DEPLOY is not set: with the site on a static host, approvals never reach it "
            "(rsync:DESTINATION, git:REMOTE or command:COMMAND)"
        )
    if target is not None:
        reason = target.problem()
        if reason:
            found.append(f"REFLECTIONS_DEPLOY ({target}) cannot be reached: {reason}")
    return found
