"""Submissions written together (store/groupcommit.py): from many threads at once, each gets its own
answer, only once it is committed; a duplicate or a used token within one batch is refused as it
would be alone; a conflict written by another process refuses only its own submission; an error
reaches every request of its batch, and the writer goes on."""

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from conftest import item
from pelican.plugins.reflections.store import Store, StoreUnavailable
from pelican.plugins.reflections.store.groupcommit import GroupCommit
from pelican.plugins.reflections.store.queue import _Submission
from sqlalchemy.exc import IntegrityError

SINCE = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def sqlite_store(tmp_path):
    return Store(f"sqlite:///{tmp_path / 'queue.db'}")


def test_many_threads_at_once_each_get_their_own_answer_and_all_are_stored(sqlite_store, tmp_path):
    numbers = range(1, 401)
    # Every fifth repeats the words of the one before it; every seventh reuses the token before it.
    bodies = {n: f"Words {n - 1 if n % 5 == 0 else n}" for n in numbers}
    tokens = {n: f"nonce-{n - 1 if n % 7 == 0 else n}" for n in numbers}
    start = threading.Barrier(32)

    def send(n: int) -> tuple[int, str | None]:
        if n <= 32:
            start.wait()  # the first 32 arrive together
        answer = sqlite_store.add_unless_duplicate(item(n, body=bodies[n]), SINCE, token=tokens[n])
        return n, answer

    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = dict(pool.map(send, numbers))
    stored = {r.id for r in sqlite_store.find(limit=1000)}
    accepted = {f"id{n:04d}" for n, answer in answers.items() if answer is None}
    assert stored == accepted  # an answer of "queued" is a stored row, and nothing else is stored
    with sqlite3.connect(tmp_path / "queue.db") as database:
        rows = database.execute("SELECT item FROM moderation_log WHERE action = 'received'")
        logged = {row[0] for row in rows}
    assert logged == accepted
    # Each repeat was refused for one reason, whichever of the two came first.
    for n, answer in answers.items():
        if n % 5 == 0 or n % 7 == 0:
            first = n - 1
            assert answer in ("duplicate", "token used") or answers[first] is not None, (n, answer)
    assert set(answers.values()) == {None, "duplicate", "token used"}


def test_within_one_batch_a_repeat_is_refused_as_it_would_be_alone(sqlite_store):
    batch = [
        (item(1, body="Same"), "a"),
        (item(2, body="same "), "b"),  # the same words: a duplicate of the first
        (item(3, body="Other"), "a"),  # the first's token
        (item(4, body="Third"), "c"),
    ]
    submissions = [_Submission(row, SINCE, token, None) for row, token in batch]
    assert sqlite_store._add_submissions(submissions) == [None, "duplicate", "token used", None]
    assert {r.id for r in sqlite_store.find(limit=10)} == {"id0001", "id0004"}


def test_a_conflict_from_elsewhere_refuses_only_its_own_submission():
    written = []

    def batch(items):
        if "conflict" in items:
            raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
        written.extend(items)
        return [None] * len(items)

    def one(entry):
        if entry == "conflict":
            return "token used"
        written.append(entry)
        return None

    go_on, started = threading.Event(), threading.Event()

    def held(items):
        started.set()
        go_on.wait(10)  # the writer busy with the first while the rest queue up behind it
        return batch(items)

    group = GroupCommit(held, one)
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(group.submit, "first")
        assert started.wait(10)
        later = [pool.submit(group.submit, entry) for entry in ("a", "conflict", "b")]
        while group._waiting.qsize() < 3:
            threading.Event().wait(0.01)
        go_on.set()
        results = [first.result(timeout=10)] + [f.result(timeout=10) for f in later]
    assert results == [None, None, "token used", None]
    assert sorted(written) == ["a", "b", "first"]
    assert group.submit("alone") is None


def test_an_error_reaches_every_request_of_its_batch_and_the_writer_goes_on(sqlite_store, tmp_path):
    assert sqlite_store.add_unless_duplicate(item(1), SINCE) is None
    blocker = sqlite3.connect(tmp_path / "queue.db", timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")  # another program holds the database
    slow = Store(f"sqlite:///{tmp_path / 'queue.db'}", timeout=0.2)
    with pytest.raises(StoreUnavailable):
        slow.add_unless_duplicate(item(2), SINCE)
    blocker.rollback()
    blocker.close()
    assert slow.add_unless_duplicate(item(3), SINCE) is None  # the writer did not die with the error
    assert {r.id for r in slow.find(limit=10)} == {"id0001", "id0003"}
