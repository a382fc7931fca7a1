"""The published files follow the store: one item at a time, and all of them when a publisher starts."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from conftest import item
from pelican.plugins.reflections.core import published
from pelican.plugins.reflections.publisher import files


def test_sync_writes_a_published_item_and_removes_one_that_is_not(store, tmp_path):
    store.add(item(1))
    store.transition("id0001", "approved", ("pending",), "test")
    assert files.sync(store, tmp_path, UTC, "learning-to-stay", "id0001") == "written"
    path = published.path_of(tmp_path, "learning-to-stay", "id0001")
    assert published.read(path).body == "Reflection 1"
    store.transition("id0001", "rejected", ("approved",), "test")
    assert files.sync(store, tmp_path, UTC, "learning-to-stay", "id0001") == "removed"
    assert not path.exists()
    assert files.sync(store, tmp_path, UTC, "learning-to-stay", "id0001") == "no file"


def test_a_private_item_is_never_written(store, tmp_path):
    store.add(item(1, visibility="private"))
    store.transition("id0001", "approved", ("pending",), "test")
    assert files.sync(store, tmp_path, UTC, "learning-to-stay", "id0001") == "no file"
    assert list(tmp_path.rglob("*.md")) == []


def test_reconcile_brings_files_in_line_with_the_store(store, tmp_path):
    for number in (1, 2, 3):
        store.add(item(number))
    for number in (1, 2):
        store.transition(f"id000{number}", "approved", ("pending",), "test")
        files.sync(store, tmp_path, UTC, "learning-to-stay", f"id000{number}")
    # What a crash between two steps, or a restore, could leave: a published item without its file,
    # and a file for an item that is no longer published.
    published.path_of(tmp_path, "learning-to-stay", "id0001").unlink()
    store.transition("id0002", "rejected", ("approved",), "test")
    hand_written = item(9, name="", parent="", kind="reflection", content_note="")
    by_hand = published.write(tmp_path, files.published_item(hand_written, UTC))
    done = files.reconcile(store, tmp_path, UTC)
    assert len(done) == 2
    assert published.path_of(tmp_path, "learning-to-stay", "id0001").exists()
    assert not published.path_of(tmp_path, "learning-to-stay", "id0002").exists()
    assert by_hand.exists()  # unknown to the store: the author's own, left alone
    assert files.reconcile(store, tmp_path, UTC) == []


def test_a_published_file_is_dated_on_the_sites_clock(store, tmp_path):
    store.add(item(1, created=datetime(2026, 3, 15, 23, 30, tzinfo=UTC)))
    store.transition("id0001", "approved", ("pending",), "test")
    files.sync(store, tmp_path, ZoneInfo("Europe/Stockholm"), "learning-to-stay", "id0001")
    assert "Date: 2026-03-16T00:30:00+01:00" in (tmp_path / "learning-to-stay" / "id0001.md").read_text()
