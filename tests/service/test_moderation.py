"""Moderation acts and their published files: decided from the row the store locked, undone when
the commit fails, reconciled at start."""

import threading

import pytest
from conftest import item
from pelican.plugins.reflections.core import published
from pelican.plugins.reflections.service.moderation import Moderation, ModerationError
from sqlalchemy import event


@pytest.fixture
def moderation(store, tmp_path):
    rebuilt = []
    acts = Moderation(store, tmp_path / "reflections", "The Author", rebuilt.append)
    acts.rebuilt = rebuilt
    return acts


def _file(moderation, row_id: str, essay: str = "learning-to-stay"):
    return published.path_of(moderation.root, essay, row_id)


def test_an_approve_racing_a_reject_never_leaves_a_rejected_item_on_the_site(moderation):
    store = moderation.store
    for number in range(100):
        store.add(item(number))
        row_id = f"id{number:04d}"
        barrier = threading.Barrier(2)
        errors = []

        def act(name: str, row_id: str = row_id, barrier=barrier, errors=errors) -> None:
            barrier.wait()
            try:
                getattr(moderation, name)(row_id, actor="test")
            except ModerationError as error:
                errors.append(error)

        threads = [threading.Thread(target=act, args=(name,)) for name in ("approve", "reject")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        state = store.get(row_id).state
        assert _file(moderation, row_id).exists() == (state == "approved"), (number, state, errors)


def test_a_failed_commit_leaves_no_file_and_the_item_as_it_was(moderation):
    store = moderation.store
    store.add(item(1))
    store.add(item(2))
    moderation.approve("id0002")
    before = _file(moderation, "id0002").read_bytes()

    def fail(_session):
        raise OSError(28, "No space left on device")

    event.listen(store.sessions, "before_commit", fail)
    try:
        with pytest.raises(OSError):
            moderation.approve("id0001")
        with pytest.raises(OSError):
            moderation.reject("id0002")
        with pytest.raises(OSError):
            moderation.edit("id0002", "Words the author changed")
    finally:
        event.remove(store.sessions, "before_commit", fail)
    assert not _file(moderation, "id0001").exists()
    assert store.get("id0001").state == "pending"
    assert _file(moderation, "id0002").read_bytes() == before
    assert store.get("id0002").state == "approved"


def test_an_item_whose_essay_cannot_hold_a_file_is_refused_with_a_reason(moderation):
    moderation.store.add(item(1, essay="../../x"))
    with pytest.raises(ModerationError, match="names no essay"):
        moderation.approve("id0001")
    assert moderation.store.get("id0001").state == "pending"
    assert moderation.reject("id0001") == "id0001 is rejected."


def test_reconcile_brings_files_in_line_with_the_store(moderation):
    store = moderation.store
    for number in (1, 2, 3):
        store.add(item(number))
    moderation.approve("id0001")
    moderation.approve("id0002")
    # What a crash between two steps, or a restore, could leave: a published item without its file,
    # and a file for an item that is no longer published.
    _file(moderation, "id0001").unlink()
    store.transition("id0002", "rejected", ("approved",), "test")
    hand_written = item(9, name="", parent="", kind="reflection", content_note="")
    by_hand = published.write(moderation.root, moderation.published_item(hand_written))
    done = moderation.reconcile()
    assert len(done) == 2
    assert _file(moderation, "id0001").exists()
    assert not _file(moderation, "id0002").exists()
    assert by_hand.exists()  # unknown to the store: the author's own, left alone
    assert moderation.reconcile() == []


def test_a_published_file_is_dated_on_the_sites_clock(store, tmp_path):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    acts = Moderation(store, tmp_path, "The Author", lambda essay: None, zone=ZoneInfo("Europe/Stockholm"))
    store.add(item(1, created=datetime(2026, 3, 15, 23, 30, tzinfo=UTC)))
    acts.approve("id0001")
    assert "Date: 2026-03-16T00:30:00+01:00" in (tmp_path / "learning-to-stay" / "id0001.md").read_text()
