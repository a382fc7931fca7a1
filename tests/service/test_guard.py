"""The spam guard's rules one by one, and the rate limit over real HTTP."""

import json
import time

import pytest
from conftest import RunningService, copy_site, fetch
from pelican.plugins.reflections.service import config as service_config
from pelican.plugins.reflections.service.guard import Guard
from pelican.plugins.reflections.store import Store


def guard(tmp_path, **environment) -> Guard:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = service_config.load({"REFLECTIONS_SITE": str(tmp_path), **environment})
    return Guard(config, Store(config.database_url))


def test_form_token_is_bound_to_its_essay_and_must_not_be_too_young(tmp_path):
    rules = guard(tmp_path, REFLECTIONS_TOKEN_MIN_SECONDS="1")
    token = rules.form_token("learning-to-stay")
    assert rules.token_problem(token, "learning-to-stay") == "too fast"
    time.sleep(1.1)
    assert rules.token_problem(token, "learning-to-stay") is None
    assert rules.token_problem(token, "the-kitchen-table") == "for another essay"
    assert rules.token_problem(token[:-2] + "xx", "learning-to-stay") == "invalid"
    assert rules.token_problem("", "learning-to-stay") == "missing"


def test_form_token_age_is_counted_to_the_fraction_of_a_second(tmp_path):
    """Whole seconds would count a token made at x.95 and checked at x+1.15 as over a second old."""
    rules = guard(tmp_path, REFLECTIONS_TOKEN_MIN_SECONDS="1")
    while time.time() % 1 < 0.95:
        time.sleep(0.01)
    token = rules.form_token("learning-to-stay")
    time.sleep(0.2)
    assert rules.token_problem(token, "learning-to-stay") == "too fast"


def test_form_token_expires(tmp_path):
    rules = guard(tmp_path, REFLECTIONS_TOKEN_MIN_SECONDS="0", REFLECTIONS_TOKEN_MAX_SECONDS="1")
    token = rules.form_token("learning-to-stay")
    time.sleep(2.1)
    assert rules.token_problem(token, "learning-to-stay") == "expired"


def test_tokens_from_another_secret_are_refused(tmp_path):
    ours = guard(tmp_path / "ours", REFLECTIONS_SECRET="one secret")
    theirs = guard(tmp_path / "theirs", REFLECTIONS_SECRET="another secret")
    assert ours.token_problem(theirs.form_token("e"), "e") == "invalid"
    assert ours.item_from_withdraw_token(theirs.withdraw_token("01JQ")) is None
    assert ours.item_from_withdraw_token(ours.withdraw_token("01JQ")) == "01JQ"


def test_address_hash_is_keyed_and_changes_every_day(tmp_path):
    rules = guard(tmp_path)
    today = rules.address_hash("203.0.113.9", day="2026-11-22")
    assert today == rules.address_hash("203.0.113.9", day="2026-11-22")
    assert today != rules.address_hash("203.0.113.9", day="2026-11-23")
    assert today != rules.address_hash("203.0.113.10", day="2026-11-22")
    assert "203.0.113.9" not in today and len(today) == 64


def test_links_and_held_words(tmp_path):
    rules = guard(tmp_path, REFLECTIONS_MAX_LINKS="2", REFLECTIONS_HOLD_WORDS="Casino, pills")
    assert not rules.too_many_links("see https://www.a.example and [b](https://b.example)")
    assert rules.too_many_links("https://a.example www.b.example [c](mailto:c@c.example)")
    assert rules.held_words("A CASINO night", "", "") == ["casino"]
    assert rules.held_words("Nothing to hold here.") == []


def test_rate_limit_counts_accepted_submissions_per_address(tmp_path):
    rules = guard(tmp_path, REFLECTIONS_RATE_LIMITS="2/minute")
    address = rules.address_hash("203.0.113.50")
    for _ in range(2):
        assert not rules.over_rate_limit(address)
        rules.count_submission(address)
    assert rules.over_rate_limit(address)
    assert not rules.over_rate_limit(rules.address_hash("203.0.113.51"))


@pytest.fixture
def strict_service(tmp_path):
    running = RunningService(
        copy_site(tmp_path / "site"),
        tmp_path / "service.log",
        REFLECTIONS_TOKEN_MIN_SECONDS="0",
        REFLECTIONS_RATE_LIMITS="2/minute",
    )
    yield running.start()
    running.stop()


def send(base: str, payload: dict, token: str | None = None, **headers) -> tuple[int, dict]:
    """One JSON submission, with a fresh form token unless one is given."""
    if token is None:
        token = json.loads(fetch(f"{base}/reflections/token?essay=learning-to-stay")[1])["token"]
    body = json.dumps({"essay": "learning-to-stay", "token": token, **payload}).encode()
    status, text = fetch(f"{base}/reflections/submit", body, {"Content-Type": "application/json", **headers})
    return status, json.loads(text)


def test_rate_limit_over_http_keeps_the_words_and_asks_to_wait(strict_service):
    answers = [send(strict_service.base, {"body": f"Reflection {number} in a row."}) for number in range(3)]
    assert [status for status, _ in answers] == [202, 202, 429]
    assert "wait a little" in answers[2][1]["errors"]["body"]


def test_a_forwarded_for_header_chooses_no_bucket_by_default(strict_service):
    """No proxy is trusted unless named: a header the client writes proves nothing."""
    answers = [
        send(strict_service.base, {"body": f"From everywhere {n}."}, **{"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(3)
    ]
    assert [status for status, _ in answers] == [202, 202, 429]


def test_the_honeypot_counts_against_the_rate_limit(strict_service):
    answers = [
        send(strict_service.base, {"body": f"Cheap pills {n}.", "website": "http://spam.example"})
        for n in range(4)
    ]
    assert [status for status, _ in answers] == [202, 202, 429, 429]
    spam = json.loads(strict_service.cli("queue", "--state", "spam", "--json").stdout)
    assert len(spam) == 2 and all(row["flags"] == "honeypot" for row in spam)


def test_a_form_token_vouches_for_one_submission(strict_service):
    token = json.loads(fetch(f"{strict_service.base}/reflections/token?essay=learning-to-stay")[1])["token"]
    assert send(strict_service.base, {"body": "The first, with this token."}, token=token)[0] == 202
    status, answer = send(strict_service.base, {"body": "A replay of the token."}, token=token)
    assert status == 422 and "already sent one reflection" in answer["errors"]["token"] and answer["token"]
