"""`reflections recipe`: configurations made from the site's settings, checked by the real tools
(nginx -t, systemd-analyze verify) where they are installed."""

import shutil
import subprocess
from pathlib import Path

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


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs it)")
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


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs it)")
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
