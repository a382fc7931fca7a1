"""Shared fixtures: builds of the real site into temporary folders, a local HTTP server, Chromium."""

import functools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from pelican.plugins.reflections.service import auth
from pelican.plugins.reflections.service import config as service_config
from pelican.plugins.reflections.store import Reflection, Store, body_hash
from pelican.plugins.reflections.store.tables import Base
from sqlalchemy import text

REPO = Path(__file__).resolve().parent.parent
PELICAN = str(Path(sys.executable).with_name("pelican"))
REFLECTIONS = str(Path(sys.executable).with_name("reflections"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = REPO / "artefacts"
#: The real data the tests read (exports, payloads, a theme): copies kept with the tests, with
#: their sources and licences in tests/corpora/README.md.
CORPORA = REPO / "tests" / "corpora"


def corpus_file(relative: str) -> Path:
    """A file of tests/corpora/ (it is part of the repository: a missing one is a failure)."""
    path = CORPORA / relative
    if not path.is_file():
        pytest.fail(f"{path} is missing from the repository's test corpora")
    return path


def build_site(
    settings: Path, output: Path, cache: Path, cwd: Path = REPO, extra: dict | None = None
) -> subprocess.CompletedProcess:
    """Run `pelican` as an author would, with output and cache in the given (temporary) folders."""
    overrides = {"CACHE_PATH": str(cache), **(extra or {})}
    # One -e with every override: Pelican keeps only the last -e flag given.
    command = [PELICAN, "content", "-s", str(settings), "-o", str(output), "-e"]
    command += [f"{key}={json.dumps(value)}" for key, value in overrides.items()]
    # Wide enough that Pelican's log keeps each message on one line.
    environment = {**os.environ, "COLUMNS": "400"}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, env=environment)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder, by relative path, with its bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def differences(incremental: Path, full: Path) -> list[str]:
    """How an incrementally published output differs from a full build: [] when byte-identical."""
    ours, theirs = tree(incremental), tree(full)
    return sorted(
        [f"only in the incremental output: {name}" for name in ours.keys() - theirs.keys()]
        + [f"only in the full build: {name}" for name in theirs.keys() - ours.keys()]
        + [f"differs: {name}" for name in ours.keys() & theirs.keys() if ours[name] != theirs[name]]
    )


def bare_site(destination: Path) -> Path:
    """A Withness site with no essays yet (the project's theme and settings): what a writer moving
    from another system starts from."""
    (destination / "content" / "essays").mkdir(parents=True)
    (destination / "content" / "pages").mkdir()
    shutil.copytree(REPO / "theme", destination / "theme")
    shutil.copy(REPO / "pelicanconf.py", destination / "pelicanconf.py")
    return destination


def copy_site(destination: Path) -> Path:
    """A private copy of the project's site (content, theme, settings) that a test may change."""
    for name in ("content", "theme"):
        shutil.copytree(REPO / name, destination / name)
    for name in ("pelicanconf.py", "publishconf.py"):
        shutil.copy(REPO / name, destination / name)
    (destination / "plugins").symlink_to(REPO / "plugins")
    return destination


def _built(tmp_path_factory, settings: str) -> Path:
    root = tmp_path_factory.mktemp(Path(settings).stem)
    result = build_site(REPO / settings, root / "output", root / "cache")
    assert result.returncode == 0, result.stderr
    return root / "output"


def _weight(items: list[pytest.Item]) -> tuple[float, int]:
    """How early a module should start in the queue of work `make test` hands its workers one module
    at a time (`--dist loadscope --no-loadscope-reorder`): by the seconds its `slow` mark says it
    takes under `make test`, then by its number of tests."""
    marks = [mark for item in items for mark in item.iter_markers("slow")]
    return (-max((mark.kwargs.get("seconds", 30) for mark in marks), default=0), -len(items))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The longest modules first, the many short ones last to fill the gaps: a module that starts
    # last and runs a minute alone is a minute of the run with one core idle. xdist's own order
    # (most tests first) put the fuzzing and the browsers' payload tours at the end.
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    ordered = sorted(modules.values(), key=_weight)
    items[:] = [item for module in ordered for item in module]


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The real content built with the real local settings."""
    return _built(tmp_path_factory, "pelicanconf.py")


@pytest.fixture(scope="session")
def published_site(tmp_path_factory) -> Path:
    """The real content built with publishconf.py."""
    return _built(tmp_path_factory, "publishconf.py")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture(scope="session")
def served_site(site):
    """The built site over HTTP on 127.0.0.1; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; skipped, saying why, when either is missing."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (install the Debian package 'chromium')")
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (make test installs it)"
    )
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_the_folded_part(page) -> None:
    """Opens the form's folded part as a keyboard reader does: a click at the summary's place can
    land beside it while a loaded machine still lays the page out (seen once in CI)."""
    page.focus("#reflect-more > summary")
    page.keyboard.press("Enter")
    page.wait_for_selector("#reflect-more[open]", timeout=5000)


def output_pages(output: Path) -> list[Path]:
    return sorted(output.rglob("*.html"))


def essay_slugs() -> list[str]:
    slugs = []
    for path in sorted((REPO / "content" / "essays").glob("*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("slug:"):
                slugs.append(line.split(":", 1)[1].strip())
    return slugs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def wait_for(condition, seconds: float = 60.0):
    """Poll until `condition()` is truthy; a bound on waiting, not a measure of speed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (ConnectionError, urllib.error.URLError, OSError):
            value = None
        if value:
            return value
        time.sleep(0.2)
    pytest.fail("the server did not get there in time")


class RunningService:
    """`reflections serve` as a real process on 127.0.0.1, in a site folder (`role="intake"`: the
    service alone)."""

    #: Every service the suite started, so that the log audit below reads all their logs.
    started: list["RunningService"] = []

    def __init__(self, root: Path, log: Path, role: str = "all", **environment: str) -> None:
        self.root = root
        self.log = log
        self.audited = 0  # how far the log audit has read this service's log
        self.role = role
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.environment = {**os.environ, "REFLECTIONS_SITE": str(root), **environment}
        self.process: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> "RunningService":
        if self not in RunningService.started:
            RunningService.started.append(self)
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [REFLECTIONS, "serve", "--port", str(self.port), "--role", self.role],
                cwd=self.root,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if wait:
            wait_for(lambda: fetch(self.base + "/reflections/health")[0] == 200)
            if self.role == "all":
                self.published()  # the first whole build runs in the background: wait for the site
        return self

    def health(self) -> dict:
        return json.loads(fetch(self.base + "/reflections/health")[1])

    def published(self) -> None:
        """Until the publisher has built the site and run every waiting job (an act answers at
        once; its pages follow a moment later)."""

        def done() -> bool:
            health = self.health()
            return health.get("site", "built") == "built" and health["jobs"]["waiting"] == 0

        wait_for(done)

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
            self.process.wait(timeout=15)

    def cli(self, *arguments: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [REFLECTIONS, *arguments],
            cwd=self.root,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=120,
            input=input,
        )


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def what_readers_sent(running: RunningService) -> set[str]:
    """Every name and email address readers have sent to this service, as its store holds them."""
    from sqlalchemy import create_engine

    url = (
        running.environment.get("REFLECTIONS_DATABASE_URL") or f"sqlite:///{running.root / 'reflections.db'}"
    )
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return set()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT name, email FROM reflections WHERE kind != 'response'"))
            return {value.strip() for row in rows for value in row if value and len(value.strip()) >= 3}
    except Exception:  # a test that dropped its tables: the addresses are still caught by EMAIL
        return set()
    finally:
        engine.dispose()


def private_lines(running: RunningService) -> list[str]:
    """The lines this service logged since the last audit that hold a reader's name or address."""
    if not running.log.exists():
        return []
    with open(running.log, encoding="utf-8", errors="replace") as log:
        log.seek(running.audited)
        written = log.read()
        running.audited = log.tell()
    if not written.strip():
        return []
    own = {
        address.lower()
        for name in ("REFLECTIONS_MAIL_FROM", "REFLECTIONS_AUTHOR_EMAIL")
        for address in EMAIL.findall(running.environment.get(name, ""))
    }
    sent = what_readers_sent(running)
    found = []
    for line in written.splitlines():
        addresses = {address.lower() for address in EMAIL.findall(line)} - own
        names = {name for name in sent if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", line)}
        if addresses or names:
            found.append(line)
    return found


@pytest.fixture(autouse=True)
def no_reader_in_the_logs():
    """Fails the test during which any service logged a reader's name or email address."""
    yield
    leaked = [line for running in RunningService.started for line in private_lines(running)]
    if leaked:
        pytest.fail("A reader's name or address was logged:\n" + "\n".join(leaked[:10]), pytrace=False)


XSS_CORPUS = "xss/payloadbox-xss-payload-list.txt"


def corpus_payloads() -> list[str]:
    """Every payload of the public XSS corpus."""
    text = corpus_file(XSS_CORPUS).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


# The project's own payloads, one for each way reader text could turn into markup.
HOSTILE = [
    "<script>window.__pwn = 1</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click]( javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    "[x](http://example.org){: onclick=alert(1) }",
    "Hello {: onclick=alert(1) }",
    "<details open ontoggle=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "```\n</code></pre><script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "> <script>alert(1)</script>",
    "* <b onmouseover=alert(1)>x</b>",
    "<!--><script>alert(1)</script>-->",
    '<http://example.org/"onmouseover="alert(1)>',
    '[x](http://example.org "title" onmouseover=alert(1))',
    "{{ 7 * 7 }}{% for x in range(3) %}{% endfor %}",
    "[link]({filename}/essays/secret.md) and {static}/x.png and {attach}y",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
]


class Inbox:
    """What a real SMTP server (aiosmtpd) received."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message.raw = envelope.content  # as it came over the wire: headers as a mail client reads them
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


def smtp_server(port: int):
    """(controller, inbox): aiosmtpd listening on 127.0.0.1:`port`; stop it with controller.stop()."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


AUTHOR_PASSWORD = "a long enough password"
MODERATE = "/reflections/moderate"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


#: The suite's own argon2 cost: argon2 reads its parameters from the hash it verifies, so the
#: service's login checks these hashes with its own code, in a millisecond rather than the 0.1 s
#: (64 MiB, 3 passes) a real author's hash costs, which the fuzzer's hundreds of logins made a
#: minute of the run. `reflections set-password` itself, with the real cost, is tested in
#: tests/cli/test_commands.py.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def with_password(running: RunningService) -> RunningService:
    """The site's moderation password set, as `reflections set-password` does, hashed at the
    suite's cost."""
    store = Store(service_config.load(running.environment).database_url)
    try:
        auth.set_password(store, AUTHOR_PASSWORD, hasher=CHEAP_HASHER)
    finally:
        store.engine.dispose()
    return running


@contextmanager
def running_for_the_author(folder: Path, **settings: str):
    """The service running on a copy of the site, with the author's password set and limits that a
    test's many requests do not reach."""
    root = copy_site(folder / "site")
    running = RunningService(
        root,
        root.parent / "service.log",
        REFLECTIONS_TOKEN_MIN_SECONDS="0",
        REFLECTIONS_RATE_LIMITS="1000/minute",
        REFLECTIONS_LOGIN_RATE_LIMITS="1000/minute",
        **settings,
    )
    try:
        yield with_password(running).start()
    finally:
        running.stop()


def author_client(base: str):
    """An HTTP client logged in to the moderation pages; `client.csrf` holds its form token."""
    import httpx

    return log_in(httpx.Client(base_url=base))


def log_in(client):
    """`client` logged in (again) as the author, with a fresh session and `client.csrf`."""
    client.cookies.clear()
    answer = client.post(
        f"{MODERATE}/login", data={"csrf": csrf_of(client.get(MODERATE).text), "password": AUTHOR_PASSWORD}
    )
    assert answer.status_code == 303, answer.text
    client.csrf = csrf_of(client.get(MODERATE).text)
    return client


def submit_reflection(base: str, essay: str, body: str, **fields) -> str:
    """Send one reflection as JSON with a fresh form token; its id (the service must answer 202)."""
    import httpx

    with httpx.Client(base_url=base) as client:
        token = client.get("/reflections/token", params={"essay": essay}).json()["token"]
        answer = client.post(
            "/reflections/submit", json={"essay": essay, "body": body, "token": token, **fields}
        )
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


# The queue store, on SQLite and on PostgreSQL: the database REFLECTIONS_TEST_POSTGRES_URL names
# (CI's), else a throwaway cluster of this run's own when PostgreSQL's programs are installed.
POSTGRES = os.environ.get("REFLECTIONS_TEST_POSTGRES_URL", "")
NO_POSTGRES = ""
if not POSTGRES:
    import postgres_cluster

    POSTGRES, NO_POSTGRES = postgres_cluster.start()
    if POSTGRES:  # the services and commands the tests start use it too (and xdist's workers)
        os.environ["REFLECTIONS_TEST_POSTGRES_URL"] = POSTGRES
if POSTGRES and os.environ.get("PYTEST_XDIST_WORKER"):
    # Parallel workers share the cluster, never a database: each empties its own as it goes.
    import postgres_cluster

    POSTGRES = postgres_cluster.database_of_its_own(POSTGRES, os.environ["PYTEST_XDIST_WORKER"])
    os.environ["REFLECTIONS_TEST_POSTGRES_URL"] = POSTGRES


def _reset(store: Store) -> None:
    Base.metadata.drop_all(store.engine)
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'queue.db'}"
    else:
        if not POSTGRES:
            pytest.skip(f"no PostgreSQL for the tests: {NO_POSTGRES}")
        url = POSTGRES
        _reset(Store(url))
    opened = Store(url)
    yield opened
    if request.param == "postgresql":
        _reset(opened)
    opened.engine.dispose()


def item(number: int, **changes) -> Reflection:
    body = changes.pop("body", f"Reflection {number}")
    values = dict(
        id=f"id{number:04d}",
        essay="learning-to-stay",
        body=body,
        body_hash=body_hash(body),
        created=datetime(2026, 5, 1, tzinfo=UTC) + timedelta(minutes=number),
    )
    return Reflection(**{**values, **changes})
