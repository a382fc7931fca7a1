"""The queue store on SQLite, and on PostgreSQL when REFLECTIONS_TEST_POSTGRES_URL names a database."""

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from conftest import item
from pelican.plugins.reflections.store import (
    MAX_MAIL_ATTEMPTS,
    Conflict,
    LogEntry,
    Reflection,
    Store,
    StoreUnavailable,
    now,
)


def test_migrations_make_the_schema_and_are_idempotent(store):
    Store(str(store.engine.url.render_as_string(hide_password=False)))  # a second start migrates nothing
    store.add(item(1))
    assert store.get("id0001").body == "Reflection 1"


def test_find_filters_by_state_and_essay_oldest_first(store):
    store.add(item(2))
    store.add(item(1, essay="the-kitchen-table"))
    store.add(item(3, state="spam"))
    assert [r.id for r in store.find()] == ["id0001", "id0002", "id0003"]
    assert [r.id for r in store.find(state="pending", essay="learning-to-stay")] == ["id0002"]
    assert store.count_pending() == 2


def test_moments_come_back_in_utc(store):
    store.add(item(1))
    created = store.get("id0001").created
    assert created.tzinfo is not None and created == datetime(2026, 5, 1, 0, 1, tzinfo=UTC)


def test_only_one_of_many_simultaneous_approvals_changes_the_item(store):
    store.add(item(1))
    results = []
    barrier = threading.Barrier(8)

    def approve():
        barrier.wait()
        results.append(store.transition("id0001", "approved", ("pending",), "test") is not None)

    threads = [threading.Thread(target=approve) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    approvals = [e for e in store.history() if e.action == "approved"]
    assert len(approvals) == 1 and store.get("id0001").state == "approved"


def test_a_job_is_committed_with_a_change_that_shows_or_hides_something(store):
    store.add(item(1))
    store.add(item(2, visibility="private"))
    store.transition("id0001", "approved", ("pending",), "test")
    store.transition("id0002", "approved", ("pending",), "test")
    store.edit("id0001", {"body": "Mended"}, "test")
    store.delete("id0001", "test")
    assert [(job.essay, job.item) for job in store.waiting_jobs()] == [("learning-to-stay", "id0001")] * 3


def test_duplicate_detection_looks_at_the_same_essay_and_recent_days(store):
    since = datetime(2026, 4, 1, tzinfo=UTC)
    assert store.add_unless_duplicate(item(1, body="Same words"), since) is None
    assert store.add_unless_duplicate(item(2, body="  same   WORDS "), since) == "duplicate"
    assert store.add_unless_duplicate(item(3, body="Same words", essay="the-kitchen-table"), since) is None
    assert store.add_unless_duplicate(item(4, body="Same words"), now()) is None
    assert [r.id for r in store.find()] == ["id0001", "id0003", "id0004"]
    assert [e.action for e in store.history()] == ["received"] * 3


def test_a_blocked_reader_s_submission_is_queued_as_spam_in_the_same_transaction(store):
    since = datetime(2026, 4, 1, tzinfo=UTC)
    assert store.mark("blocked", "email", "key-of-a-blocked-reader", "a blocked reader")
    answers = [
        store.add_unless_duplicate(item(1, body="First words"), since, reader_key="key-of-a-blocked-reader"),
        store.add_unless_duplicate(item(2, body="Other words"), since, reader_key="key-of-someone-else"),
        store.add_unless_duplicate(item(3, body="No address given"), since),
    ]
    assert answers == ["blocked", None, None]
    assert [(r.id, r.state, r.flags) for r in store.find()] == [
        ("id0001", "spam", "blocked"),
        ("id0002", "pending", ""),
        ("id0003", "pending", ""),
    ]
    # Its words still count against a repeat, as any kept submission's do.
    repeat = item(4, body="First words")
    assert store.add_unless_duplicate(repeat, since, reader_key="key-of-a-blocked-reader") == "duplicate"


def on_an_event_loop(coroutine):
    """`coroutine` run to its end on an event loop of its own, in a thread of its own: a test
    process may have a loop running already (Playwright's, in the same worker)."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def test_submissions_awaited_on_an_event_loop_get_the_answers_the_store_gives_a_thread(store):
    """The intake's path on the event loop (queue_submission): many awaited at once, each answered
    as add_unless_duplicate answers it, and only what was answered "queued" is kept."""
    since = datetime(2026, 4, 1, tzinfo=UTC)
    assert store.mark("blocked", "email", "key-of-a-blocked-reader", "a blocked reader")

    async def all_at_once():
        # The first alone: on PostgreSQL, where each is its own transaction, two at once are not
        # ordered, so which of them is the repeat would be a race.
        first = await store.queue_submission(item(1, body="First words"), since, token="nonce-1")
        sent = [
            store.queue_submission(item(2, body="first   WORDS"), since, token="nonce-2"),
            store.queue_submission(item(3, body="Other words"), since, token="nonce-1"),
            store.queue_submission(
                item(4, body="Blocked words"), since, reader_key="key-of-a-blocked-reader"
            ),
            *(store.queue_submission(item(n, body=f"Words {n}"), since) for n in range(5, 25)),
        ]
        return [first, *await asyncio.gather(*sent)]

    answers = on_an_event_loop(all_at_once())
    assert answers[:4] == [None, "duplicate", "token used", "blocked"]
    assert answers[4:] == [None] * 20
    kept = {r.id: (r.state, r.flags) for r in store.find(limit=100)}
    assert set(kept) == {"id0001", "id0004"} | {f"id{n:04d}" for n in range(5, 25)}
    assert kept["id0004"] == ("spam", "blocked")


def test_a_locked_database_is_the_stores_own_error_on_the_event_loop_too(tmp_path):
    path = tmp_path / "queue.db"
    patient = Store(f"sqlite:///{path}", timeout=0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable, match="locked") as raised:
            on_an_event_loop(patient.queue_submission(item(1), datetime(2026, 4, 1, tzinfo=UTC)))
        assert not type(raised.value).__module__.startswith("sqlalchemy")
    finally:
        holder.rollback()
        holder.close()
    assert on_an_event_loop(patient.queue_submission(item(2), datetime(2026, 4, 1, tzinfo=UTC))) is None
    patient.engine.dispose()


def test_secret_is_made_once_and_shared(store):
    first = store.secret("signing", lambda: "one")
    assert store.secret("signing", lambda: "two") == first == "one"


def test_export_and_import_round_trip_idempotently(store, tmp_path):
    store.add(item(1, email="a@private.example", name="Ana"))
    store.transition("id0001", "approved", ("pending",), "cli")
    lines = list(store.export_lines())
    other = Store(f"sqlite:///{tmp_path / 'restored.db'}")
    assert other.import_lines(lines) == {"reflection": 1, "log": 2, "subscriber": 0, "mail": 0, "secret": 0}
    assert set(other.import_lines(lines).values()) == {0}
    assert list(other.export_lines())[0] == lines[0]
    assert isinstance(other.history()[0], LogEntry)


def test_a_secret_made_by_many_processes_at_once_is_one_secret(store):
    """Two `reflections` commands started together both find no secret and both make one: the
    first is kept, and neither fails."""
    url = store.engine.url.render_as_string(hide_password=False)
    others = [Store(url) for _ in range(6)]
    barrier = threading.Barrier(len(others), timeout=30)
    results, errors = [], []

    def make_one(number: int) -> None:
        try:
            barrier.wait()
            results.append(others[number].secret("race", lambda: f"secret-{number}"))
        except Exception as error:  # noqa: BLE001 - the test reports any failure
            errors.append(error)

    threads = [threading.Thread(target=make_one, args=(n,)) for n in range(len(others))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for other in others:
        other.engine.dispose()
    assert errors == [] and len(results) == len(others) and len(set(results)) == 1


def test_a_moment_without_a_time_zone_is_refused(store):
    with pytest.raises(ValueError, match="without a time zone"):
        store.add(item(1, created=datetime(2026, 5, 1, 12, 0)))
    assert store.find() == []


def test_a_form_token_vouches_for_one_submission_only(store):
    since = datetime(2026, 4, 1, tzinfo=UTC)
    assert store.add_unless_duplicate(item(1), since, token="nonce-1") is None
    assert store.add_unless_duplicate(item(2), since, token="nonce-1") == "token used"
    assert store.add_unless_duplicate(item(3), since, token="nonce-2") is None
    assert [r.id for r in store.find()] == ["id0001", "id0003"]
    # Once every token of that time has expired, what they were is forgotten.
    assert store.add_unless_duplicate(item(4), since, token="nonce-3", token_since=now()) is None
    assert store.add_unless_duplicate(item(5), since, token="nonce-1") is None


def test_what_the_store_hands_out_is_a_plain_copy(store):
    store.add(item(1))
    found = store.get("id0001")
    assert type(found) is Reflection and not hasattr(found, "_sa_instance_state")
    found.body = "changed in the caller's hands only"
    assert store.get("id0001").body == "Reflection 1"
    assert all(type(entry) is LogEntry for entry in store.history())


def test_a_locked_database_is_the_stores_own_error(tmp_path):
    path = tmp_path / "queue.db"
    patient = Store(f"sqlite:///{path}", timeout=0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing, for longer than the timeout
    try:
        with pytest.raises(StoreUnavailable, match="locked") as raised:
            patient.add(item(1))
        assert not type(raised.value).__module__.startswith("sqlalchemy")
    finally:
        holder.rollback()
        holder.close()
        patient.engine.dispose()
    assert patient.add(item(1)).id == "id0001"  # and it works again once the lock is gone


def test_adding_what_is_there_is_a_conflict(store):
    store.add(item(1))
    with pytest.raises(Conflict):
        store.add(item(1))


def test_mail_is_claimed_by_one_worker_and_given_up_after_its_attempts(store):
    store.enqueue_mail("reader@example.org", "Hello", "Kind words.")
    (mail,) = store.claim_mail()
    assert store.claim_mail() == []  # claimed: another worker asking now gets nothing
    for attempt in range(1, MAX_MAIL_ATTEMPTS + 1):
        given_up = store.mail_failed(
            mail.id, "SMTPServerDisconnected: gone", datetime(2000, 1, 1, tzinfo=UTC)
        )
        assert given_up == (attempt == MAX_MAIL_ATTEMPTS)
        if not given_up:
            assert [m.id for m in store.claim_mail()] == [mail.id]  # due again, claimable again
    assert store.claim_mail() == []
    (lost,) = store.given_up_mail()
    assert lost.id == mail.id and lost.attempts == MAX_MAIL_ATTEMPTS and "gone" in lost.last_error


def test_only_one_of_two_swaps_of_a_secret_wins(store):
    assert store.swap_secret("last-digest", None, "one") is True
    assert store.swap_secret("last-digest", None, "two") is False
    assert store.swap_secret("last-digest", "one", "three") is True
    assert store.swap_secret("last-digest", "one", "four") is False
    assert store.get_secret("last-digest") == "three"


def test_the_history_comes_a_page_at_a_time_newest_first(store):
    for number in range(1, 6):
        store.add(item(number))
    everything = store.history()
    assert [e.item for e in store.history(limit=2)] == [e.item for e in everything[:2]]
    assert [e.item for e in store.history(limit=2, offset=4)] == [e.item for e in everything[4:6]]
    assert len(everything) == 5


def test_essays_of_a_view_are_those_with_items_in_it(store):
    store.add(item(1, essay="the-kitchen-table"))
    store.add(item(2, essay="learning-to-stay", visibility="private"))
    store.add(item(3, essay="small-rooms-open-doors"))
    store.transition("id0003", "approved", ("pending",), "test")
    assert store.essays_of(state="pending") == ["learning-to-stay", "the-kitchen-table"]
    assert store.essays_of(state="approved", visibility="public") == ["small-rooms-open-doors"]
    assert store.essays_of(visibility="private") == ["learning-to-stay"]
    assert store.essays_of() == ["learning-to-stay", "small-rooms-open-doors", "the-kitchen-table"]
