"""Going live, the two ways docs/how-to/go-live.md describes, with the real nginx, rsync and Chromium:

1. one server: nginx (the shipped recipe) serves output/ and passes /reflections/ to the service;
2. a static host (a second nginx on another origin) with the service elsewhere, an approval
   reaching the host through the rsync deploy target.
"""

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from conftest import (
    REFLECTIONS,
    REPO,
    RunningService,
    build_site,
    copy_site,
    free_port,
    smtp_server,
    wait_for,
)
from nginx_server import NGINX, Nginx
from pelican.plugins.reflections.service import config as service_config
from pelican.plugins.reflections.service.guard import Guard
from pelican.plugins.reflections.store import Store
from playwright.sync_api import expect

ESSAY = "learning-to-stay"
pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install nginx; .ci/run installs it)"
)


def recipe(running: RunningService, *arguments: str) -> str:
    result = running.cli("recipe", *arguments)
    assert result.returncode == 0, result.stderr
    return result.stdout


def client_from(address: str) -> httpx.Client:
    """An HTTP client whose connections come from `address` (any of 127.0.0.0/8 is this machine)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10)


def send(client: httpx.Client, base: str, body: str, pause: float = 0, **headers: str) -> httpx.Response:
    """A no-JavaScript form post, with a form token asked for first (as the page's script would),
    sent `pause` seconds later (a token younger than REFLECTIONS_TOKEN_MIN_SECONDS asks again)."""
    token = client.get(f"{base}/reflections/token", params={"essay": ESSAY}).json()["token"]
    time.sleep(pause)
    form = {"essay": ESSAY, "body": body, "token": token, "visibility": "public"}
    return client.post(f"{base}/reflections/submit", data=form, headers=headers)


@pytest.fixture(scope="module")
def one_server(tmp_path_factory):
    """The site, its service on loopback, and nginx in front with the shipped recipe."""
    folder = tmp_path_factory.mktemp("one-server")
    root = copy_site(folder / "site")
    running = RunningService(
        root,
        folder / "service.log",
        REFLECTIONS_TRUSTED_PROXIES="127.0.0.1",
        REFLECTIONS_TOKEN_MIN_SECONDS="0",
        REFLECTIONS_RATE_LIMITS="5/minute",
    ).start()
    port = free_port()
    server = recipe(running, "nginx", "--listen", f"127.0.0.1:{port}", "--port", str(running.port))
    nginx = Nginx(folder / "nginx", server).start(port)
    yield running, f"http://127.0.0.1:{port}"
    nginx.stop()
    running.stop()


def test_nginx_serves_the_built_site_with_the_headers_and_the_service_behind_it(one_server):
    running, base = one_server
    page = httpx.get(f"{base}/essays/{ESSAY}/")
    assert page.status_code == 200 and 'id="reflect"' in page.text
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    health = httpx.get(f"{base}/reflections/health")
    assert health.json()["status"] == "ok"
    # The service's own headers, not the site's, on its pages.
    assert "default-src 'none'" in health.headers["content-security-policy"]


def test_a_reflection_through_nginx_counts_the_readers_address_not_nginxs(one_server):
    running, base = one_server
    with client_from("127.0.0.2") as reader:
        answer = send(reader, base, "Sent through the web server.")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith("/reflections/received/")
    config = service_config.load({"REFLECTIONS_SITE": str(running.root)})
    store = Store(config.database_url)
    guard = Guard(config, store)
    (row,) = [row for row in store.find() if row.body == "Sent through the web server."]
    assert row.address_hash == guard.address_hash("127.0.0.2")
    assert row.address_hash != guard.address_hash("127.0.0.1")


def test_a_forged_forwarded_for_does_not_escape_the_rate_limit(one_server):
    _, base = one_server
    statuses = []
    with client_from("127.0.0.3") as reader:
        for number in range(8):
            forged = f"203.0.113.{number + 1}"
            answer = send(reader, base, f"Forged hop number {number}.", **{"X-Forwarded-For": forged})
            statuses.append(answer.status_code)
    assert statuses == [303] * 5 + [429] * 3


def test_an_approval_appears_through_nginx(one_server):
    running, base = one_server
    with client_from("127.0.0.4") as reader:
        assert send(reader, base, "Approved, then read through nginx.").status_code == 303
    store = Store(service_config.load({"REFLECTIONS_SITE": str(running.root)}).database_url)
    (row,) = [row for row in store.find() if row.body == "Approved, then read through nginx."]
    approved = running.cli("approve", row.id)
    assert approved.returncode == 0, approved.stderr
    wait_for(lambda: "Approved, then read through nginx." in httpx.get(f"{base}/essays/{ESSAY}/").text, 30)


STATIC_SERVER = """server {{
    listen 127.0.0.1:{port};
    root {root};
    index index.html;
    location / {{ try_files $uri $uri/ =404; }}
}}
"""


@pytest.fixture(scope="module")
def static_host(tmp_path_factory):
    """A static host (nginx serving a plain folder on its own origin), the site built with
    `make publish` for it, and the service on another origin deploying to it with rsync."""
    if not shutil.which("rsync"):
        pytest.skip("rsync is not installed (apt-get install rsync; .ci/run installs it)")
    folder = tmp_path_factory.mktemp("static-host")
    root = copy_site(folder / "site")
    host_folder = folder / "host"
    host_folder.mkdir()
    static_port = free_port()
    site_url = f"http://127.0.0.1:{static_port}"
    running = RunningService(
        root,
        folder / "service.log",
        REFLECTIONS_SETTINGS="publishconf.py",
        REFLECTIONS_DEPLOY=f"rsync:{host_folder}",
        REFLECTIONS_TOKEN_MIN_SECONDS="1",
        REFLECTIONS_RATE_LIMITS="1000/minute",
        WITHNESS_SITEURL=site_url,
    )
    running.environment["WITHNESS_SERVICE_URL"] = running.base
    # What the author runs: the published build, for the static host, with the service's address.
    venv = Path(REFLECTIONS).parent.parent
    built = subprocess.run(
        ["make", "-f", str(REPO / "Makefile"), "publish", f"VENV={venv}", "-o", f"{venv}/bin/.installed"],
        cwd=root,
        env=running.environment,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    page = (root / "output" / "essays" / ESSAY / "index.html").read_text()
    assert f'action="{running.base}/reflections/submit"' in page
    nginx = Nginx(folder / "nginx", STATIC_SERVER.format(port=static_port, root=host_folder))
    running.start()
    # The publisher's first deploy mirrors the whole build to the host.
    wait_for(lambda: (host_folder / "essays" / ESSAY / "index.html").exists(), 60)
    nginx.start(static_port)
    yield running, site_url, host_folder
    nginx.stop()
    running.stop()


def test_without_javascript_the_form_goes_to_the_service_and_leads_back_to_the_static_host(
    browser, static_host
):
    running, site_url, _ = static_host
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(f"{site_url}/essays/{ESSAY}/")
    destination = page.locator("#reflect-destination").inner_text()
    assert f"127.0.0.1:{running.port}" in destination and "brings you back" in destination
    page.fill("#reflect-body", "Sent from the static host, scripts off.")
    page.click("text=Send your reflection")
    assert page.url.startswith(running.base)
    assert page.locator("h1").inner_text() == "Send this reflection?"  # no token without the script
    page.wait_for_timeout(1200)
    page.click("text=Send your reflection")
    assert page.locator("h1").inner_text() == "Thank you. Your words reached the author."
    page.click("text=Back to")
    assert page.url == f"{site_url}/essays/{ESSAY}/"
    page.context.close()


def test_with_javascript_the_token_crosses_origins_and_send_goes_straight_through(browser, static_host):
    running, site_url, _ = static_host
    page = browser.new_context().new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{site_url}/essays/{ESSAY}/")
    page.click("#reflect-body")
    # Asked from here, not by a script in the page: the page's CSP forbids the eval a polled
    # predicate needs, so it failed whenever the token was not there at the first look.
    expect(page.locator("#reflect-token")).not_to_have_value("")
    page.fill("#reflect-body", "Sent from the static host with the script.")
    page.wait_for_timeout(1200)
    page.click("text=Send your reflection")
    page.wait_for_url(f"{running.base}/reflections/received/*")
    assert page.locator("h1").inner_text() == "Thank you. Your words reached the author."
    assert errors == []
    page.context.close()


def test_the_service_refuses_a_form_posted_from_another_origin_keeping_the_words(static_host):
    running, _, _ = static_host
    answer = httpx.post(
        f"{running.base}/reflections/submit",
        data={"essay": ESSAY, "body": "Posted by some other site's page."},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert answer.status_code == 403
    assert "not part of this site" in answer.text and "Posted by some other site&#39;s page." in answer.text
    token = httpx.get(
        f"{running.base}/reflections/token",
        params={"essay": ESSAY},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert "access-control-allow-origin" not in token.headers


def test_an_approval_reaches_the_static_host_through_rsync(static_host):
    running, site_url, host_folder = static_host
    with httpx.Client() as reader:
        assert send(reader, running.base, "Approved, then on the static host.", pause=1.2).status_code == 303
    store = Store(service_config.load(running.environment).database_url)
    (row,) = [row for row in store.find() if row.body == "Approved, then on the static host."]
    assert running.cli("approve", row.id).returncode == 0
    wait_for(
        lambda: "Approved, then on the static host." in httpx.get(f"{site_url}/essays/{ESSAY}/").text, 30
    )
    assert running.health()["deployments"] == {"waiting": 0, "failed": 0}


def test_with_the_service_unreachable_the_script_keeps_the_words_and_says_so(browser, static_host, tmp_path):
    _, site_url, host_folder = static_host
    # The same page, pointing at a service that is not there.
    page_file = host_folder / "essays" / ESSAY / "index.html"
    gone = f"http://127.0.0.1:{free_port()}"
    text = page_file.read_text()
    broken = host_folder / "essays" / "unreachable" / "index.html"
    broken.parent.mkdir(parents=True, exist_ok=True)
    running = static_host[0]
    broken.write_text(text.replace(running.base, gone))
    page = browser.new_context().new_page()
    page.goto(f"{site_url}/essays/unreachable/")
    page.fill("#reflect-body", "Words that must not be lost.")
    page.click("text=Send your reflection")
    page.wait_for_selector("#reflect-status:not([hidden])")
    assert "cannot be reached" in page.locator("#reflect-status").inner_text()
    assert page.url == f"{site_url}/essays/unreachable/"
    page.reload()
    assert page.locator("#reflect-body").input_value() == "Words that must not be lost."
    assert "back in the form" in page.locator("#reflect-status").inner_text()
    page.context.close()


def test_cookies_are_secure_over_https_through_a_trusted_proxy_whatever_the_settings(one_server):
    running, _ = one_server  # pelicanconf.py: SITEURL is empty, REFLECTIONS_SECURE_COOKIE unset
    moderate = f"{running.base}/reflections/moderate"
    over_https = httpx.get(moderate, headers={"X-Forwarded-Proto": "https"})
    assert over_https.headers.get_list("set-cookie")
    assert all("secure" in cookie.lower() for cookie in over_https.headers.get_list("set-cookie"))
    plain = httpx.get(moderate)
    assert not any("secure" in cookie.lower() for cookie in plain.headers.get_list("set-cookie"))
    with client_from("127.0.0.5") as stranger:  # not a trusted proxy: its header proves nothing
        forged = stranger.get(moderate, headers={"X-Forwarded-Proto": "https"})
    assert not any("secure" in cookie.lower() for cookie in forged.headers.get_list("set-cookie"))


def doctor(running: RunningService, *arguments: str, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [REFLECTIONS, "doctor", *arguments],
        cwd=running.root,
        env=running.environment | environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_doctor_names_each_problem_and_passes_a_site_ready_to_go_live(static_host):
    running, _, host_folder = static_host
    found = doctor(
        running, REFLECTIONS_DEPLOY="rsync:/no/such/folder/here", WITHNESS_SITEURL="http://blog.example.org"
    )
    assert found.returncode == 1
    lines = found.stdout.splitlines()
    assert any("SITEURL" in line and "not https" in line for line in lines)
    assert any("REFLECTIONS_SMTP_URL" in line for line in lines)
    assert any("REFLECTIONS_TRUSTED_PROXIES is empty" in line for line in lines)
    assert any("REFLECTIONS_DEPLOY" in line and "/no/such/folder" in line for line in lines)
    gone = doctor(running, WITHNESS_SERVICE_URL=f"http://127.0.0.1:{free_port()}")
    assert any("the service does not answer" in line for line in gone.stdout.splitlines())
    # The static host and the service are on loopback here: http is fine for them. Mail is
    # checked for real: a server that answers (aiosmtpd), greeted, sent nothing.
    controller, inbox = smtp_server(free_port())
    try:
        ready = doctor(
            running,
            REFLECTIONS_SMTP_URL=f"smtp://127.0.0.1:{controller.port}",
            REFLECTIONS_AUTHOR_EMAIL="author@example.org",
            REFLECTIONS_TRUSTED_PROXIES="127.0.0.1",
        )
    finally:
        controller.stop()
    assert ready.returncode == 0, ready.stdout
    assert ready.stdout.splitlines()[-1].startswith("Ready to go live") and inbox.messages == []


def test_doctor_reads_the_services_environment_file_and_checks_mail_for_real(static_host, tmp_path):
    """Run from a shell as the docs say, it sees what the systemd service gets from its
    EnvironmentFile; a dead mail port and an author address that is none are problems."""
    running, _, _ = static_host
    controller, inbox = smtp_server(free_port())
    env_file = tmp_path / "reflections.env"
    try:
        env_file.write_text(
            "# as /etc/withness/reflections.env holds it\n"
            f'REFLECTIONS_SMTP_URL="smtp://127.0.0.1:{controller.port}"\n'
            "REFLECTIONS_AUTHOR_EMAIL=author@example.org\n"
            "REFLECTIONS_TRUSTED_PROXIES=127.0.0.1\n",
            encoding="utf-8",
        )
        ready = doctor(running, "--env-file", str(env_file))
    finally:
        controller.stop()
    assert ready.returncode == 0, ready.stdout
    assert ready.stdout.splitlines()[0].startswith(f"Read {env_file} (3 settings)")
    assert inbox.messages == []
    dead = free_port()
    env_file.write_text(
        f"REFLECTIONS_SMTP_URL=smtp://127.0.0.1:{dead}\nREFLECTIONS_AUTHOR_EMAIL=notanemail\n"
        "REFLECTIONS_TRUSTED_PROXIES=127.0.0.1\n",
        encoding="utf-8",
    )
    found = doctor(running, "--env-file", str(env_file))
    assert found.returncode == 1
    lines = found.stdout.splitlines()
    assert any(f"does not take mail: 127.0.0.1:{dead}" in line for line in lines), lines
    assert any("REFLECTIONS_AUTHOR_EMAIL 'notanemail' is not an address" in line for line in lines), lines
    missing = doctor(running, "--env-file", str(tmp_path / "none.env"))
    assert (
        missing.returncode == 1 and missing.stderr.strip() == f"Error: {tmp_path / 'none.env'}: no such file"
    )


def git(*arguments: str, cwd: Path) -> str:
    identity = ["-c", "user.name=The Author", "-c", "user.email=author@example.org"]
    done = subprocess.run(["git", *identity, *arguments], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_git_target_pushes_to_a_repository_whose_hook_builds_the_site(tmp_path):
    """A host that builds from the repository (as Netlify or a server's post-receive hook does)."""
    root = copy_site(tmp_path / "site")
    remote, built, public = tmp_path / "site.git", tmp_path / "checkout", tmp_path / "public"
    git("init", "--quiet", "--initial-branch=main", cwd=root)
    git("add", "--all", cwd=root)
    git("commit", "--quiet", "-m", "The site", cwd=root)
    git("init", "--quiet", "--bare", "--initial-branch=main", str(remote), cwd=tmp_path)
    git("push", "--quiet", str(remote), "main", cwd=root)
    hook = remote / "hooks" / "post-receive"
    hook.write_text(
        "#!/bin/sh\nset -e\nunset GIT_QUARANTINE_PATH\n"
        f"mkdir -p {built}\ngit --work-tree={built} checkout --quiet -f main\n"
        f"cd {built} && {Path(REFLECTIONS).parent / 'pelican'} content -o {public} -s pelicanconf.py -q\n"
    )
    hook.chmod(0o755)
    running = RunningService(
        root,
        tmp_path / "service.log",
        REFLECTIONS_DEPLOY=f"git:{remote} main",
        REFLECTIONS_TOKEN_MIN_SECONDS="0",
    ).start()
    try:
        with httpx.Client() as reader:
            assert send(reader, running.base, "Pushed, then built by the host.").status_code == 303
        store = Store(service_config.load(running.environment).database_url)
        (row,) = [row for row in store.find() if row.body == "Pushed, then built by the host."]
        assert running.cli("approve", row.id).returncode == 0
        page = public / "essays" / ESSAY / "index.html"
        wait_for(lambda: page.exists() and "Pushed, then built by the host." in page.read_text(), 60)
        subjects = git("log", "--format=%s", "main", cwd=remote).splitlines()
        assert subjects[0] == f"Publish reflections: 1 file(s) on {ESSAY}"
        assert f"content/reflections/{ESSAY}/{row.id}.md" in git(
            "ls-tree", "-r", "--name-only", "main", cwd=remote
        )
    finally:
        running.stop()


def test_a_failed_deploy_is_shown_to_the_author_and_goes_through_when_tried_again(tmp_path):
    from conftest import MODERATE, author_client, running_for_the_author

    if not shutil.which("rsync"):
        pytest.skip("rsync is not installed (apt-get install rsync; .ci/run installs it)")
    host = tmp_path / "not-yet" / "host"
    with running_for_the_author(tmp_path, REFLECTIONS_DEPLOY=f"rsync:{host}") as running:
        client = author_client(running.base)
        wait_for(lambda: "Published here, not yet on your host" in client.get(MODERATE).text, 30)
        page = client.get(MODERATE).text
        assert "rsync to" in page and "failed" in page and "Try again now" in page
        host.parent.mkdir()
        answer = client.post(f"{MODERATE}/retry", data={"csrf": client.csrf})
        assert answer.status_code == 303
        wait_for(lambda: (host / "essays" / ESSAY / "index.html").exists(), 30)
        wait_for(lambda: "Published here, not yet on your host" not in client.get(MODERATE).text, 30)


def test_a_site_under_a_sub_path_sends_and_leads_back(browser, tmp_path):
    """SITEURL https://host/blog: nginx (the recipe) serves the site under /blog/ and passes
    /blog/reflections/ to the service; the form, the service's pages and the way back all stay
    under /blog/."""
    root = copy_site(tmp_path / "site")
    port = free_port()
    site_url = f"http://127.0.0.1:{port}/blog"
    running = RunningService(
        root,
        tmp_path / "service.log",
        REFLECTIONS_SETTINGS="publishconf.py",
        WITHNESS_SITEURL=site_url,
        REFLECTIONS_TOKEN_MIN_SECONDS="0",
    ).start()
    server = recipe(running, "nginx", "--listen", f"127.0.0.1:{port}", "--port", str(running.port))
    nginx = Nginx(tmp_path / "nginx", server).start(port)
    try:
        page = browser.new_context(java_script_enabled=False).new_page()
        page.goto(f"{site_url}/essays/{ESSAY}/")
        assert page.locator("#reflect").get_attribute("action") == "/blog/reflections/submit"
        page.fill("#reflect-body", "Sent to a site under a sub-path.")
        page.click("text=Send your reflection")
        assert page.url == f"{site_url}/reflections/submit"
        assert page.locator("h1").inner_text() == "Send this reflection?"
        # The service's own stylesheets, found under the sub-path (a click does not wait for them).
        page.wait_for_load_state("load")
        assert page.evaluate("document.styleSheets.length") == 2
        assert page.evaluate("[...document.styleSheets].every(sheet => sheet.cssRules.length > 0)")
        page.click("text=Send your reflection")
        assert page.locator("h1").inner_text() == "Thank you. Your words reached the author."
        assert page.url.startswith(f"{site_url}/reflections/received/")
        page.click("text=Back to")
        assert page.url == f"{site_url}/essays/{ESSAY}/"
        page.context.close()
    finally:
        nginx.stop()
        running.stop()


def test_an_essay_edited_on_the_server_reaches_the_static_host(static_host):
    running, site_url, _host_folder = static_host
    essay = running.root / "content" / "essays" / f"{ESSAY}.md"
    essay.write_text(essay.read_text() + "\nA sentence added on the server.\n")
    wait_for(lambda: "A sentence added on the server." in httpx.get(f"{site_url}/essays/{ESSAY}/").text, 30)


def test_doctor_warns_when_the_theme_would_be_broken_by_the_sites_policy(tmp_path):
    root = copy_site(tmp_path / "site")
    running = RunningService(root, tmp_path / "unused.log")
    output = root / "output"
    output.mkdir(exist_ok=True)
    (output / "index.html").write_text(
        "<!doctype html><html><head><title>Their theme</title>"
        '<script src="https://code.jquery.com/jquery.min.js"></script>'
        '<script type="application/ld+json">{"@type": "BlogPosting"}</script></head>'
        '<body><button onclick="go()">Menu</button><script>go = () => 1;</script></body></html>',
        encoding="utf-8",
    )
    found = doctor(running)
    [line] = [line for line in found.stdout.splitlines() if "Content-Security-Policy" in line]
    assert "a script from https://code.jquery.com" in line and "an inline script" in line
    assert "an event handler attribute" in line and "REFLECTIONS_SITE_CSP" in line
    assert found.returncode == 1
    chosen = doctor(running, REFLECTIONS_SITE_CSP="none")
    assert "Content-Security-Policy" not in chosen.stdout
    # The site's own absolute addresses (an absolute SITEURL) are 'self', not another origin.
    (output / "index.html").write_text(
        '<html><head><link rel="stylesheet" href="https://blog.example.org/theme/site.css">'
        '<script src="https://blog.example.org/theme/site.js"></script>'
        '<script src="https://cdn.example.net/x.js"></script></head><body></body></html>',
        encoding="utf-8",
    )
    own = doctor(running, WITHNESS_SITEURL="https://blog.example.org", REFLECTIONS_SETTINGS="publishconf.py")
    assert "a script from https://cdn.example.net" in own.stdout, own.stdout
    assert "blog.example.org" not in own.stdout.split("Content-Security-Policy")[1], own.stdout
    # The project's own theme needs nothing the strict policy forbids.
    (output / "index.html").unlink()
    built = build_site(root / "pelicanconf.py", output, tmp_path / "cache", cwd=root)
    assert built.returncode == 0, built.stderr
    assert "Content-Security-Policy" not in doctor(running).stdout


def test_the_static_host_s_pages_name_the_service_s_webmention_endpoint(static_host):
    running, site_url, _ = static_host
    page = httpx.get(f"{site_url}/essays/{ESSAY}/").text
    assert f'<link rel="webmention" href="{running.base}/reflections/webmention">' in page
    # The service knows the static host's address as the essay's own.
    essay = f"{site_url}/essays/{ESSAY}/"
    answer = httpx.post(
        f"{running.base}/reflections/webmention", data={"source": "https://their.example/p", "target": essay}
    )
    assert answer.status_code == 202, answer.text
    elsewhere = httpx.post(
        f"{running.base}/reflections/webmention",
        data={"source": "https://their.example/p", "target": f"http://127.0.0.1:1/essays/{ESSAY}/"},
    )
    assert elsewhere.status_code == 400 and "not an essay of this site" in elsewhere.text
