"""The store's part for replies from elsewhere and the author's marks, on SQLite and PostgreSQL:
a webmention kept before it is acknowledged outlives the process, a claim that died lets go, a
reply from elsewhere is one row whoever takes it, and a mark is kept once."""

import threading
import time
from dataclasses import replace

from conftest import item
from pelican.plugins.reflections.store import Store, body_hash


def remote(number: int, source: str = "https://blog.example/reply", **changes):
    return item(number, origin="webmention", source=source, **changes)


def test_a_webmention_outlives_the_process_and_a_dead_claim_lets_go(store):
    kept = store.add_mention("https://blog.example/p", "https://site.example/essays/e/", "learning-to-stay")
    again = Store(store.url)  # the service started again
    claimed = again.claim_mention(seconds=0.2)
    assert claimed is not None and claimed.id == kept.id and claimed.attempts == 1
    assert again.claim_mention() is None  # another worker does not take it meanwhile
    time.sleep(0.3)  # the first worker died: its claim runs out
    retried = again.claim_mention()
    assert retried.id == kept.id and retried.attempts == 2
    again.settle_mention(kept.id, "refused", "the source answered 404")
    assert again.claim_mention() is None
    assert again.mention(kept.id).reason == "the source answered 404"
    again.engine.dispose()


def test_a_reply_from_elsewhere_is_one_row_whoever_takes_it(store):
    answers = []

    def take(number: int) -> None:
        answers.append(store.take_from_elsewhere(remote(number, body="The same words, taken four times.")))

    threads = [threading.Thread(target=take, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({item_id for item_id, _ in answers}) == 1
    assert sorted(what for _, what in answers) == ["queued", "unchanged", "unchanged", "unchanged"]
    assert len(store.find()) == 1
    # Form items, with no source, are never one another's.
    store.add(item(10))
    store.add(item(11))
    assert len(store.find()) == 3


def test_an_edited_reply_is_updated_and_a_deleted_one_can_come_back(store):
    first, _ = store.take_from_elsewhere(remote(1, body="The first words."))
    edited = replace(remote(2, body="The edited words."), body_hash=body_hash("The edited words."))
    assert store.take_from_elsewhere(edited) == (first, "updated")
    assert store.get(first).body == "The edited words."
    assert store.gone_from_elsewhere(first, "the source answers 410 Gone").state == "pending"
    assert store.get(first).state == "withdrawn"
    assert store.take_from_elsewhere(edited) == (first, "returned")
    assert store.get(first).state == "pending"
    assert [entry.action for entry in store.history_of(first)] == [
        "received",
        "edited",
        "withdrawn",
        "pending",
    ]


def test_a_mark_is_kept_once_and_taken_off(store):
    assert store.mark("blocked", "domain", "spam.example", "spam.example")
    assert not store.mark("blocked", "domain", "spam.example", "spam.example")
    assert store.marked("blocked", [("account", "https://m.example/@x"), ("domain", "spam.example")])
    assert not store.marked("trusted", [("domain", "spam.example")])
    [mark] = store.marks()
    assert store.unmark(mark.id).value == "spam.example"
    assert not store.marked("blocked", [("domain", "spam.example")]) and store.unmark(mark.id) is None
