"""`reflections recipe`: configurations made from the site's settings, checked by the real tools
(nginx -t, systemd-analyze verify) where they are installed."""

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from conftest import REFLECTIONS, RunningService, copy_site

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = copy_site(tmp_path_factory.mktemp("recipes") / "site")
    return RunningService(
        root,
        root.parent / "unused.log",
        REFLECTIONS_SETTINGS="publishconf.py",
        WITHNESS_SITEURL="https://blog.example.org",
    )


def recipe(site: RunningService, *arguments: str, **environment: str) -> str:
    result = subprocess.run(
        [REFLECTIONS, "recipe", *arguments],
        cwd=site.root,
        env=site.environment | environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_systemd_unit_runs_the_service_on_loopback_and_passes_systemd_analyze(site, tmp_path):
    unit = recipe(site, "systemd", "--user", "root", "--port", "8123")
    assert "Environment=REFLECTIONS_SETTINGS=publishconf.py" in unit
    assert "Environment=REFLECTIONS_TRUSTED_PROXIES=127.0.0.1,::1" in unit
    assert f"ExecStart={REFLECTIONS} serve --host 127.0.0.1 --port 8123" in unit
    assert f"WorkingDirectory={site.root}" in unit
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed here: the unit's text is checked above")
    path = tmp_path / "withness.service"
    path.write_text(unit)
    checked = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install nginx; .ci/run installs it)"
)
def test_the_https_nginx_recipe_redirects_to_https_and_passes_nginx_t(site, tmp_path):
    key, certificate = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=blog.example.org",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
    )
    server = recipe(site, "nginx", "--certificate", str(certificate), "--certificate-key", str(key))
    assert "return 301 https://$host$request_uri;" in server
    assert "listen 443 ssl http2;" in server and "server_name blog.example.org;" in server
    assert f"root {site.root / 'output'};" in server
    assert "proxy_pass http://127.0.0.1:8000/reflections/;" in server
    assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in server
    (tmp_path / "site.conf").write_text(server)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{ include /etc/nginx/mime.types; include {tmp_path / 'site.conf'}; }}\n"
    )
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_with_the_service_elsewhere_the_recipes_serve_the_service_only_and_allow_it_in_the_sites_policy(site):
    service = {"WITHNESS_SERVICE_URL": "https://reflections.example.org"}
    server = recipe(site, "nginx", **service)
    assert "server_name reflections.example.org;" in server
    assert (
        "location / { return 404; }" in server
        and "root " not in server.split("location / { return 404; }")[1]
    )
    caddy = recipe(site, "caddy", **service)
    assert caddy.splitlines()[3] == "https://reflections.example.org {"
    assert "reverse_proxy 127.0.0.1:8000" in caddy and "file_server" not in caddy
    one_server = recipe(site, "caddy")
    assert "https://blog.example.org {" in one_server and f"root * {site.root / 'output'}" in one_server
    assert "form-action 'self';" in one_server


def test_the_static_hosts_policy_lets_the_form_reach_the_service():
    from pelican.plugins.reflections.service.headers import site_policy

    policy = site_policy("https://reflections.example.org")
    assert "form-action 'self' https://reflections.example.org" in policy
    assert "connect-src 'self' https://reflections.example.org" in policy


THEME_POLICY = "default-src 'self'; script-src 'self' 'unsafe-inline' https://code.jquery.com"


def nginx_accepts(server: str, folder: Path) -> subprocess.CompletedProcess:
    (folder / "site.conf").write_text(server)
    (folder / "nginx.conf").write_text(
        f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\nevents {{}}\n"
        f"http {{ include /etc/nginx/mime.types; include {folder / 'site.conf'}; }}\n"
    )
    return subprocess.run(
        [NGINX, "-t", "-c", str(folder / "nginx.conf"), "-p", str(folder)], capture_output=True, text=True
    )


@pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install nginx; .ci/run installs it)"
)
def test_the_recipes_follow_the_sites_own_policy_or_none(site, tmp_path):
    http = {"WITHNESS_SITEURL": "http://blog.example.org"}
    chosen = recipe(site, "nginx", REFLECTIONS_SITE_CSP=THEME_POLICY, **http)
    assert f'add_header Content-Security-Policy "{THEME_POLICY}" always;' in chosen
    # The service's own location keeps its strict headers (set by the service itself).
    assert "default-src 'self'; img-src" not in chosen
    assert nginx_accepts(chosen, tmp_path).returncode == 0
    without = recipe(site, "nginx", REFLECTIONS_SITE_CSP="none", **http)
    assert "Content-Security-Policy" not in without and "X-Content-Type-Options nosniff" in without
    assert nginx_accepts(without, tmp_path).returncode == 0
    caddy = recipe(site, "caddy", REFLECTIONS_SITE_CSP=THEME_POLICY)
    assert f'Content-Security-Policy "{THEME_POLICY}"' in caddy
    assert "Content-Security-Policy" not in recipe(site, "caddy", REFLECTIONS_SITE_CSP="none")


def self_signed(folder: Path) -> tuple[Path, Path]:
    key, certificate = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
    )
    return certificate, key


@pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install nginx; .ci/run installs it)"
)
def test_the_https_recipe_on_given_addresses_runs_redirects_keeping_the_port_and_serves_the_404(
    site, tmp_path
):
    """As printed: both listen addresses given, nginx -t accepts it and real requests get the
    redirect (to the https port the site has), the site's own 404 page, and HSTS."""
    from conftest import free_port
    from nginx_server import Nginx

    output = site.root / "output"
    output.mkdir(exist_ok=True)
    (output / "index.html").write_text("<p>The site.</p>")
    (output / "404.html").write_text("<p>This page is not here: the site's own 404.</p>")
    certificate, key = self_signed(tmp_path)
    secure, plain = free_port(), free_port()
    server = recipe(
        site,
        "nginx",
        "--listen",
        f"127.0.0.1:{secure}",
        "--listen-http",
        f"127.0.0.1:{plain}",
        "--certificate",
        str(certificate),
        "--certificate-key",
        str(key),
        WITHNESS_SITEURL=f"https://localhost:{secure}",
    )
    nginx = Nginx(tmp_path / "nginx", server).start(plain)
    try:
        moved = httpx.get(f"http://127.0.0.1:{plain}/essays/x/?a=1", timeout=5)
        assert moved.status_code == 301
        assert moved.headers["location"] == f"https://127.0.0.1:{secure}/essays/x/?a=1"
        with httpx.Client(verify=False, timeout=5) as client:
            home = client.get(f"https://127.0.0.1:{secure}/")
            missing = client.get(f"https://127.0.0.1:{secure}/no/such/page")
        assert home.status_code == 200 and home.headers["strict-transport-security"] == "max-age=31536000"
        assert missing.status_code == 404 and "the site's own 404" in missing.text
    finally:
        nginx.stop()
    # Only --listen given: the redirecting server takes port 80 on the same address.
    printed = recipe(site, "nginx", "--listen", "127.0.0.1:443", WITHNESS_SITEURL="https://blog.example.org")
    assert "listen 127.0.0.1:80;" in printed and "listen 127.0.0.1:443 ssl http2;" in printed
    assert "return 301 https://$host$request_uri;" in printed  # 443: no port in the address


def test_caddy_sends_hsts_like_nginx(site):
    assert 'Strict-Transport-Security "max-age=31536000"' in recipe(site, "caddy")
    plain = recipe(site, "caddy", WITHNESS_SITEURL="http://blog.example.org")
    assert "Strict-Transport-Security" not in plain


def parsed_netlify(text: str) -> dict[str, dict[str, str]]:
    """Netlify's _headers format: a path line, then indented `Name: value` lines."""
    rules: dict[str, dict[str, str]] = {}
    path = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            path = line.strip()
            rules[path] = {}
            continue
        name, colon, value = line.strip().partition(":")
        assert colon and path is not None, line
        rules[path][name.strip()] = value.strip()
    return rules


def parsed_apache(text: str) -> dict[str, str]:
    """`Header always set Name "value"` lines inside <IfModule mod_headers.c>."""
    import shlex

    inside, found = False, {}
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["<IfModule"]:
            inside = True
        elif words[:1] == ["</IfModule>"]:
            inside = False
        elif words[:3] == ["Header", "always", "set"]:
            assert inside and len(words) == 5, line
            found[words[3]] = words[4]
    return found


def test_a_static_hosts_headers_in_netlify_and_apache_forms_let_the_form_reach_the_service(site):
    service = {"WITHNESS_SERVICE_URL": "https://reflections.example.org"}
    netlify = parsed_netlify(recipe(site, "netlify", **service))
    apache = parsed_apache(recipe(site, "apache", **service))
    for headers in (netlify["/*"], apache):
        policy = headers["Content-Security-Policy"]
        assert "form-action 'self' https://reflections.example.org" in policy
        assert "connect-src 'self' https://reflections.example.org" in policy
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "SAMEORIGIN"
        assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "ErrorDocument 404 /404.html" in recipe(site, "apache", **service)
    none = parsed_netlify(recipe(site, "netlify", REFLECTIONS_SITE_CSP="none", **service))
    assert "Content-Security-Policy" not in none["/*"] and none["/*"]["Referrer-Policy"]
