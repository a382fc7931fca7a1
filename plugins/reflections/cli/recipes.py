"""`reflections recipe`: a web server's configuration and a service unit made from the site's own
settings (its address, its output folder, the service's port), so what is deployed matches the site."""

import getpass
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..service import headers
from ..service.config import ServiceConfig
from ..service.origins import origin_of
from ..site import redirects

TEMPLATES = Path(__file__).parent.parent / "templates" / "recipes"
#: How long a browser keeps to https once it has seen the site there: every recipe sends the same.
HSTS = "max-age=31536000"
KINDS = {
    "nginx": "nginx.conf",
    "caddy": "Caddyfile",
    "systemd": "withness.service",
    # A static host's headers for the site: Netlify's (and Cloudflare Pages') _headers, Apache's .htaccess.
    "netlify": "_headers",
    "apache": "htaccess",
}


def _split_listen(listen: str) -> tuple[str, int | None]:
    """("127.0.0.1", 8443) from "127.0.0.1:8443", ("[::1]", 443) from "[::1]:443", ("", 443) from
    "443"; a listen without a port keeps its address."""
    if listen.isdigit():
        return "", int(listen)
    host, colon, port = listen.rpartition(":")
    if colon and port.isdigit() and (not host.startswith("[") or host.endswith("]")):
        return host, int(port)
    return listen, None


def _reflections_command() -> str:
    """The `reflections` executable beside this Python (a virtual environment's), else on PATH."""
    beside = Path(sys.executable).parent / "reflections"
    return str(beside) if beside.exists() else (shutil.which("reflections") or "reflections")


def make(
    kind: str,
    settings: dict,
    config: ServiceConfig,
    service_port: int = 8000,
    listen: str = "",
    certificate: str = "",
    certificate_key: str = "",
    user: str = "",
    listen_http: str = "",
) -> str:
    """The text of one recipe (`kind` is a key of KINDS). With https, `listen` is the https
    server's address and `listen_http` the redirecting one's (default: the same address, port 80)."""
    site_url = str(settings.get("SITEURL") or "").rstrip("/")
    service_url = str(settings.get("REFLECTIONS_SERVICE_URL") or "").rstrip("/")
    # With the service elsewhere, the web server in front of it answers at the service's address.
    address = service_url or site_url
    parts = urlsplit(address) if origin_of(address) else None
    host = parts.hostname if parts else "_"
    https = bool(parts and parts.scheme == "https")
    port = parts.port if parts and parts.port else (443 if https else 80)
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    letsencrypt = f"/etc/letsencrypt/live/{host}"
    listen_host, listen_port = _split_listen(listen) if listen else ("", None)
    https_port = listen_port or port
    if https:
        plain = listen_http or (f"{listen_host}:80" if listen_host else "80")
        secure = listen or str(port)
    else:
        plain, secure = listen or str(port), ""
    policy = headers.site_policy(origin_of(service_url), config.site_csp)
    site_https = urlsplit(site_url).scheme == "https"
    hsts = {"Strict-Transport-Security": HSTS} if site_https else {}
    # The redirect keeps a port that is not https's own (https://host:8443/…).
    https_authority = "$host" if https_port == 443 else f"$host:{https_port}"
    moved = _moved(
        redirects.kept(settings), urlsplit(site_url).path.rstrip("/") if origin_of(site_url) else ""
    )
    return environment.get_template(KINDS[kind]).render(
        site_url=site_url,
        sitename=settings.get("SITENAME") or "a Pelican site",
        host=host,
        https=https,
        site_prefix=urlsplit(site_url).path.rstrip("/") if origin_of(site_url) else "",
        listen_http=plain,
        listen_https=secure,
        https_authority=https_authority,
        certificate=certificate or f"{letsencrypt}/fullchain.pem",
        certificate_key=certificate_key or f"{letsencrypt}/privkey.pem",
        caddy_address=origin_of(address) or f":{listen or 80}",
        prefix=parts.path.rstrip("/") if parts else "",
        output=Path(settings["OUTPUT_PATH"]).resolve(),
        service_only=bool(service_url),
        service=f"127.0.0.1:{service_port}",
        service_host="127.0.0.1",
        service_port=service_port,
        site_policy=policy,
        hsts=HSTS,
        site_headers=[
            (name, policy if name == "Content-Security-Policy" else value)
            for name, value in {**headers.SITE_HEADERS, **hsts}.items()
            if name != "Content-Security-Policy" or policy
        ],
        max_request_kb=max(config.max_request_bytes // 1024 * 2, 64),
        site=config.site,
        settings_name=config.settings_file.name,
        command=_reflections_command(),
        user=user or getpass.getuser(),
        moved=moved,
        # nginx's map hash: a bucket holds the longest address, the table every address.
        moved_bucket=max(
            64, 1 << (max((len(old.encode()) for old, _ in moved), default=0) + 32).bit_length()
        ),
        moved_size=max(2048, 1 << (2 * len(moved)).bit_length()),
    )


def _moved(resolved: dict[str, str], site_path: str) -> list[tuple[str, str]]:
    """(old path, new address) pairs for nginx's map: a folder-like old path with and without its
    slash; a site address under the site's own path."""
    pairs = []
    for old, address in sorted(resolved.items()):
        new = address if address.startswith(("http://", "https://")) else f"{site_path}/{address.lstrip('/')}"
        for variant in dict.fromkeys((old, old.rstrip("/") or "/")):
            pairs.append((variant, new))
    return pairs
