"""Intake and publisher apart, as in production: real processes sharing one database, each with its
own copy of the site folder (as on separate hosts). On PostgreSQL and on a shared SQLite file."""

import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest
from conftest import (
    MODERATE,
    NO_POSTGRES,
    POSTGRES,
    REFLECTIONS,
    RunningService,
    _reset,
    author_client,
    copy_site,
    fetch,
    free_port,
    smtp_server,
    submit_reflection,
    wait_for,
    with_password,
)
from pelican.plugins.reflections.store import Store

#: A minute or more in all (`-m "not slow"` leaves it out of a quick run).
pytestmark = pytest.mark.slow(seconds=50)

ESSAY = "learning-to-stay"
LIMITS = {
    "REFLECTIONS_TOKEN_MIN_SECONDS": "0",
    "REFLECTIONS_RATE_LIMITS": "1000/minute",
    "REFLECTIONS_LOGIN_RATE_LIMITS": "1000/minute",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    if not POSTGRES:
        pytest.skip(f"no PostgreSQL for the tests: {NO_POSTGRES}")
    _reset(Store(POSTGRES))
    yield POSTGRES
    _reset(Store(POSTGRES))


class Publisher:
    """`reflections publish --watch` in its own copy of the site."""

    def __init__(self, root, log, database: str) -> None:
        self.root, self.log = root, log
        self.environment = {"REFLECTIONS_SITE": str(root), "REFLECTIONS_DATABASE_URL": database}
        self.process: subprocess.Popen | None = None

    def start(self) -> "Publisher":
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [REFLECTIONS, "publish", "--watch"],
                cwd=self.root,
                env={**os.environ, **self.environment},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)

    def page(self) -> str:
        path = self.root / "output" / "essays" / ESSAY / "index.html"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def files(self) -> set[str]:
        return {path.stem for path in (self.root / "content" / "reflections" / ESSAY).glob("*.md")}


def intake(tmp_path, name: str, database: str) -> RunningService:
    root = copy_site(tmp_path / name)
    return RunningService(
        root, tmp_path / f"{name}.log", role="intake", REFLECTIONS_DATABASE_URL=database, **LIMITS
    )


def act(base: str, action: str, item: str) -> None:
    author = author_client(base)
    try:
        answer = author.post(f"{MODERATE}/act", data={"csrf": author.csrf, "action": action, "id": item})
        assert answer.status_code == 303, answer.text
    finally:
        author.close()


@pytest.fixture
def two_intakes_and_a_publisher(tmp_path, database):
    a = with_password(intake(tmp_path, "a", database)).start()
    b = intake(tmp_path, "b", database).start()
    publisher = Publisher(copy_site(tmp_path / "publisher"), tmp_path / "publisher.log", database).start()
    wait_for(lambda: "</html>" in publisher.page())
    yield a, b, publisher
    for process in (a, b):
        process.stop()
    publisher.kill()


def test_submitted_on_one_approved_on_another_published_by_the_publisher(two_intakes_and_a_publisher):
    a, b, publisher = two_intakes_and_a_publisher
    item = submit_reflection(a.base, ESSAY, "Sent to one instance, approved on another.")
    act(b.base, "approve", item)
    wait_for(lambda: f'id="r-{item}"' in publisher.page())
    assert publisher.files() == {item}
    # The intake instances only touch the store: no published file, no page, on their disks.
    for instance in (a, b):
        assert not (instance.root / "content" / "reflections" / ESSAY).exists()
    act(a.base, "unpublish", item)
    wait_for(lambda: f'id="r-{item}"' not in publisher.page())
    assert publisher.files() == set()


def test_a_publisher_killed_mid_stream_publishes_every_approval_once_after_restart(
    two_intakes_and_a_publisher,
):
    a, b, publisher = two_intakes_and_a_publisher
    items = [submit_reflection(a.base, ESSAY, f"Reflection number {n} in the stream.") for n in range(50)]
    declined = set(items[::7])  # some are rejected instead, so not everything ends up published
    author = author_client(b.base)

    def moderate() -> None:
        for item in items:
            action = "reject" if item in declined else "approve"
            author.post(f"{MODERATE}/act", data={"csrf": author.csrf, "action": action, "id": item})

    stream = threading.Thread(target=moderate)
    stream.start()
    wait_for(lambda: len(publisher.files()) >= 5)
    publisher.kill()  # kill -9 while approvals keep coming
    stream.join(120)
    author.close()
    publisher.start()
    approved = set(items) - declined
    wait_for(lambda: publisher.files() == approved and a.health()["jobs"]["waiting"] == 0, seconds=120)
    page = publisher.page()
    for item in items:
        assert page.count(f'id="r-{item}"') == (1 if item in approved else 0), item
    assert a.health()["jobs"]["failed"] == 0


def test_a_second_publisher_waits_and_takes_over_when_the_first_dies(two_intakes_and_a_publisher, tmp_path):
    a, _b, first = two_intakes_and_a_publisher
    second = Publisher(
        copy_site(tmp_path / "second"), tmp_path / "second.log", first.environment["REFLECTIONS_DATABASE_URL"]
    )
    second.start()
    try:
        wait_for(lambda: "waiting for the lease" in second.log.read_text())
        item = submit_reflection(a.base, ESSAY, "Published by whoever holds the lease.")
        act(a.base, "approve", item)
        wait_for(lambda: f'id="r-{item}"' in first.page())
        assert not (second.root / "output").exists()  # idle: it built nothing, published nothing
        first.kill()
        # It takes over: reconciles its own copy with the store and builds it.
        wait_for(lambda: f'id="r-{item}"' in second.page())
        later = submit_reflection(a.base, ESSAY, "Published after the takeover.")
        act(a.base, "approve", later)
        wait_for(lambda: f'id="r-{later}"' in second.page())
    finally:
        second.kill()


def test_intake_answers_while_a_long_first_build_runs(tmp_path):
    root = copy_site(tmp_path / "site")
    essays = root / "content" / "essays"
    words = " ".join(["Staying with someone is a practice of attention."] * 40)
    for number in range(600):
        (essays / f"essay-{number:03d}.md").write_text(
            f"Title: Essay {number}\nDate: 2025-01-01 10:{number % 60:02d}\nSlug: essay-{number:03d}\n\n"
            + "\n\n".join([words] * 6)
            + "\n",
            encoding="utf-8",
        )
    running = RunningService(root, tmp_path / "service.log", **LIMITS)
    started = time.monotonic()
    running.start(wait=False)
    try:
        health = wait_for(lambda: fetch(running.base + "/reflections/health"))
        answered = time.monotonic() - started
        assert health[0] == 200 and json.loads(health[1])["site"] == "building", health
        # A reader's words sent now are answered now: nothing waits for the build.
        item = submit_reflection(running.base, ESSAY, "Sent while the site was still building.")
        assert running.health()["site"] == "building"
        assert json.loads(running.cli("show", item, "--json").stdout)["state"] == "pending"
        print(f"health answered {answered:.2f} s after start, while the first build ran")
        running.published()
        assert re.search(r"Built the whole site in [\d.]+ s", running.log.read_text())
    finally:
        running.stop()


def test_two_mail_workers_send_every_mail_exactly_once(tmp_path, database):
    controller, inbox = smtp_server(free_port())
    store = Store(database)
    for number in range(120):
        store.enqueue_mail("reader@example.org", f"Message {number}", "A few kind words.")
    mail = {
        "REFLECTIONS_SMTP_URL": f"smtp://127.0.0.1:{controller.port}",
        "REFLECTIONS_MAIL_FROM": "Withness <reflections@site.example>",
        "REFLECTIONS_MAIL_INTERVAL": "0.1",
    }
    workers = [intake(tmp_path, name, database) for name in ("a", "b")]
    for worker in workers:
        worker.environment.update(mail)
        worker.start()
    try:
        wait_for(lambda: all(m.sent is not None for m in store.outbox()), seconds=120)
    finally:
        for worker in workers:
            worker.stop()
        controller.stop()
    subjects = [message["Subject"] for message in inbox.messages]
    assert len(subjects) == 120 and len(set(subjects)) == 120


def test_the_intake_is_an_asgi_application_for_any_server(tmp_path):
    root = copy_site(tmp_path / "site")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "pelican.plugins.reflections.asgi:app", "--port", str(port)],
        cwd=root,
        env={**os.environ, "REFLECTIONS_SITE": str(root), **LIMITS},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        status, body = wait_for(lambda: fetch(base + "/reflections/health"))
        assert status == 200 and json.loads(body)["database"] == "ok" and "site" not in json.loads(body)
        item = submit_reflection(base, ESSAY, "Sent through an ASGI server of the site's choosing.")
        assert fetch(f"{base}/essays/{ESSAY}/")[0] == 404  # the web server serves the site, not intake
        store = Store(f"sqlite:///{root / 'reflections.db'}")
        assert store.get(item).state == "pending"
        store.engine.dispose()
    finally:
        server.terminate()
        server.wait(timeout=15)
