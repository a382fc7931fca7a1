"""The publisher: one per site (the lease), jobs in order, each job's outcome recorded, and a failed
one run again once its cause is fixed."""

import threading
import time

from conftest import item
from pelican.plugins.reflections.core import published
from pelican.plugins.reflections.publisher.loop import Publisher
from pelican.plugins.reflections.service.moderation import Moderation
from pelican.plugins.reflections.store import Store

ESSAY = "learning-to-stay"


def settings_for(root) -> dict:
    return {
        "PATH": str(root),
        "OUTPUT_PATH": str(root / "output"),
        "REFLECTIONS_PATH": "reflections",
        "TIMEZONE": "UTC",
    }


def publisher_for(store, root, render, said: list | None = None) -> Publisher:
    lines = said if said is not None else []
    return Publisher(store, settings_for(root), render, say=lambda line, flush=False: lines.append(line))


def test_drain_writes_the_files_renders_each_essay_once_and_records_the_jobs(store, tmp_path):
    rendered = []
    for number in (1, 2):
        store.add(item(number))
        Moderation(store, "The Author").approve(f"id000{number}")
    assert store.count_jobs() == {"waiting": 2, "failed": 0}
    assert publisher_for(store, tmp_path, rendered.append).drain() == (2, [])
    assert rendered == [ESSAY]
    for number in (1, 2):
        assert published.path_of(tmp_path / "reflections", ESSAY, f"id000{number}").exists()
    assert store.count_jobs() == {"waiting": 0, "failed": 0}
    assert [job.state for job in store.jobs()] == ["done", "done"]


def test_a_failed_render_is_recorded_with_its_reason_and_run_again_once_fixed(store, tmp_path):
    store.add(item(1))
    Moderation(store, "The Author").approve("id0001")
    said = []

    def broken(essay):
        raise ValueError("theme/templates/article.html:12: unexpected '}'")

    count, failures = publisher_for(store, tmp_path, broken, said).drain()
    assert count == 1 and len(failures) == 1 and "unexpected '}'" in failures[0]
    (job,) = store.jobs(state="failed")
    assert "unexpected '}'" in job.reason and job.attempts == 1
    assert any(line.startswith(f"Not published ({ESSAY}): ") for line in said)
    # The file is written already: the store decided, only the pages wait.
    assert published.path_of(tmp_path / "reflections", ESSAY, "id0001").exists()
    assert store.retry_failed_jobs() == 1
    rendered = []
    assert publisher_for(store, tmp_path, rendered.append).drain() == (1, [])
    assert rendered == [ESSAY] and store.jobs()[0].state == "done"


def test_one_publisher_at_a_time(store):
    first = store.publisher_lease()
    assert first is not None
    other = Store(store.engine.url.render_as_string(hide_password=False))
    try:
        assert other.publisher_lease() is None  # another process, as far as the lock knows
        first.release()
        second = other.publisher_lease()
        assert second is not None
        second.release()
    finally:
        other.engine.dispose()


def test_a_running_publisher_takes_each_job_as_it_comes(store, tmp_path):
    rendered = []
    publisher = publisher_for(store, tmp_path, rendered.append)
    thread = threading.Thread(target=publisher.run, daemon=True)
    thread.start()
    try:
        assert publisher.leading.wait(10)
        store.add(item(1))
        Moderation(store, "The Author").approve("id0001")
        path = published.path_of(tmp_path / "reflections", ESSAY, "id0001")
        deadline = time.monotonic() + 10
        while not (path.exists() and rendered) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert path.exists() and rendered == [ESSAY]
    finally:
        publisher.stop()
        thread.join(10)
    assert not thread.is_alive() and not publisher.leading.is_set()
    lease = store.publisher_lease()  # given up when it stopped, at once
    assert lease is not None
    lease.release()


def test_a_released_lease_is_free_at_once(store):
    """A publisher that stops lets the next one lead at once (on PostgreSQL the server dropped a
    closed session's lock a moment later: the next publisher found it still held, seen in CI)."""
    for _ in range(50):
        lease = store.publisher_lease()
        assert lease is not None
        lease.release()


def test_a_job_that_failed_on_a_full_disk_is_tried_again_by_itself_later_and_later(store, tmp_path):
    """No change to the site's files, no button: the disk has room again, the reflection reaches
    its page. Tries wait 15 s after the first failure, doubling to 10 minutes, as deploys do."""
    from datetime import timedelta

    from pelican.plugins.reflections.store import now
    from pelican.plugins.reflections.store.tables import JobRow
    from sqlalchemy import update

    store.add(item(1))
    Moderation(store, "The Author").approve("id0001")
    full = [True]

    def render(essay):
        if full[0]:
            raise OSError(28, "No space left on device")

    publisher = publisher_for(store, tmp_path, render)
    waits = []
    for attempt in range(1, 7):
        before = now()
        count, failures = publisher.drain()
        assert count == 1 and "No space left on device" in failures[0]
        (job,) = store.jobs(state="failed")
        assert job.attempts == attempt
        waits.append(round((job.next_try - before).total_seconds()))
        assert publisher.drain() == (0, [])  # not yet due: not tried at once again
        with store.engine.begin() as connection:  # the wait passes
            connection.execute(update(JobRow).values(next_try=now() - timedelta(seconds=1)))
    assert waits == [15, 30, 60, 120, 240, 480]
    full[0] = False  # space came back
    assert publisher.drain() == (1, [])
    assert store.jobs()[0].state == "done" and store.jobs()[0].next_try is None
