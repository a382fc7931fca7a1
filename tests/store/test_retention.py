"""What is kept and for how long, with a clock the test sets: declined items go after their time
(the log keeps that they existed), readers' addresses when their purpose has ended."""

from datetime import UTC, datetime, timedelta

from conftest import item

DAY = timedelta(days=1)
START = datetime(2026, 5, 1, tzinfo=UTC)


def decided(store, number: int, state: str, email: str = "", **changes):
    store.add(item(number, email=email, **changes), actor="reader")
    store.transition(f"id{number:04d}", state, ("pending",), "author")
    return f"id{number:04d}"


def test_rejected_and_spam_go_after_their_days_and_the_log_remembers(store):
    rejected = decided(store, 1, "rejected")
    spam = decided(store, 2, "spam")
    kept = decided(store, 3, "approved")
    waiting = store.add(item(4), actor="reader").id
    when = store.get(rejected).decided

    assert store.purge(30, 0, when + 29 * DAY).items == 0  # not yet
    done = store.purge(30, 0, when + 31 * DAY)
    assert done.items == 2
    assert store.get(rejected) is None and store.get(spam) is None
    assert store.get(kept) is not None and store.get(waiting) is not None  # pending never expires
    purged = [entry for entry in store.history() if entry.action == "purged"]
    assert {entry.item for entry in purged} == {rejected, spam}
    assert store.purge(0, 0, when + 1000 * DAY).items == 0  # 0 days: kept for ever


def test_an_address_goes_when_its_purpose_has_ended(store):
    answered = decided(store, 1, "approved", email="reader@example.org", notify=True)
    waiting = store.add(item(2, email="waiting@example.org", notify=True), actor="reader").id
    store.ask_subscriber("reader@example.org")
    when = store.get(answered).decided
    store.enqueue_mail("reader@example.org", "The author replied", "…")
    [mail] = store.claim_mail()
    store.mail_sent(mail.id)

    assert store.purge(0, 90, when + 89 * DAY).emails == 0
    # A mail sent since the cutoff keeps the address: a reply may still follow.
    assert store.purge(0, 90, datetime.now(UTC) + 10 * DAY).emails == 0
    done = store.purge(0, 90, datetime.now(UTC) + 91 * DAY)
    assert done.emails == 1 and done.subscribers == 1 and done.mails == 1
    assert store.get(answered).email == "" and store.get(answered).notify is False
    assert store.get(waiting).email == "waiting@example.org"  # the author has not read it yet
    assert store.subscriber("reader@example.org") is None and store.outbox() == []


def test_unsubscribing_forgets_the_address_at_once_and_the_link_still_answers(store):
    first = decided(store, 1, "approved", email="Leaving@Example.org", notify=True)
    second = store.add(item(2, email="leaving@example.org", notify=True), actor="reader").id
    other = store.add(item(3, email="staying@example.org", notify=True), actor="reader").id
    store.ask_subscriber("leaving@example.org")
    key = store.subscriber("leaving@example.org").key

    assert store.forget_address("leaving@example.org") == 2
    assert store.get(first).email == "" and store.get(second).email == ""
    assert store.get(other).email == "staying@example.org"
    assert store.subscriber("leaving@example.org") is None
    remembered = store.subscriber_by_key(key)  # the unsubscribe link still finds its subscription
    assert remembered is not None and "leaving" not in remembered.email
    assert "leaving@example.org" not in "".join(store.export_lines()).lower()  # not even in a backup
