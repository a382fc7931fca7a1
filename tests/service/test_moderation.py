"""Moderation acts: each commits its state and, when it shows or hides something on the site, a
publication job, in one transaction, and touches no file (the publisher does)."""

import threading

import pytest
from conftest import item
from pelican.plugins.reflections.service.moderation import Moderation, ModerationError
from sqlalchemy import event


@pytest.fixture
def moderation(store):
    return Moderation(store, "The Author")


def waiting(store) -> list[tuple[str, str]]:
    return [(job.essay, job.item) for job in store.waiting_jobs()]


def test_an_act_that_shows_or_hides_something_commits_a_job_with_it(moderation):
    store = moderation.store
    store.add(item(1))
    store.add(item(2, visibility="private"))
    assert "in a moment" in moderation.approve("id0001")
    assert waiting(store) == [("learning-to-stay", "id0001")]
    moderation.approve("id0002")  # private: never on the site, so nothing to publish
    moderation.edit("id0001", "Words the author mended")
    moderation.reject("id0001")
    assert waiting(store) == [("learning-to-stay", "id0001")] * 3
    moderation.spam("id0001")  # already off the site: nothing changes there
    assert len(waiting(store)) == 3


def test_an_approve_racing_a_reject_leaves_one_state_and_the_jobs_to_follow_it(moderation):
    store = moderation.store
    for number in range(50):
        store.add(item(number))
        row_id = f"id{number:04d}"
        barrier = threading.Barrier(2)

        def act(name: str, row_id: str = row_id, barrier=barrier) -> None:
            barrier.wait()
            try:
                getattr(moderation, name)(row_id, actor="test")
            except ModerationError:
                pass

        threads = [threading.Thread(target=act, args=(name,)) for name in ("approve", "reject")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        history = reversed(store.history())  # oldest first
        acts = [entry.action for entry in history if entry.item == row_id and entry.action != "received"]
        jobs = [job for job in store.waiting_jobs() if job.item == row_id]
        # Both acts are allowed from either state, so they take turns: the second one stands.
        assert sorted(acts) == ["approved", "rejected"] and store.get(row_id).state == acts[1]
        # approve then reject: two jobs (shown, then hidden); reject then approve: one (shown).
        assert len(jobs) == (2 if acts[0] == "approved" else 1), acts


def test_a_failed_commit_leaves_the_item_as_it_was_and_no_job(moderation):
    store = moderation.store
    store.add(item(1))
    store.add(item(2))
    moderation.approve("id0002")

    def fail(_session):
        raise OSError(28, "No space left on device")

    event.listen(store.sessions, "before_commit", fail)
    try:
        with pytest.raises(OSError):
            moderation.approve("id0001")
        with pytest.raises(OSError):
            moderation.reject("id0002")
    finally:
        event.remove(store.sessions, "before_commit", fail)
    assert store.get("id0001").state == "pending" and store.get("id0002").state == "approved"
    assert waiting(store) == [("learning-to-stay", "id0002")]


def test_an_item_whose_essay_cannot_hold_a_file_is_refused_with_a_reason(moderation):
    moderation.store.add(item(1, essay="../../x"))
    with pytest.raises(ModerationError, match="names no essay"):
        moderation.approve("id0001")
    assert moderation.store.get("id0001").state == "pending"
    assert moderation.reject("id0001") == "A reader’s reflection on “../../x” is rejected."
