"""The moderation pages over real HTTP: login, CSRF, every action, and nothing for strangers."""

import json
import re
import time
from datetime import UTC, datetime

import httpx
import pytest
from conftest import (
    AUTHOR_PASSWORD,
    MODERATE,
    RunningService,
    author_client,
    copy_site,
    csrf_of,
    fetch,
    running_for_the_author,
    submit_reflection,
)
from conftest import item as stored_item
from pelican.plugins.reflections.store import MAX_MAIL_ATTEMPTS, Store

#: A minute or more in all (`-m "not slow"` leaves it out of a quick run).
pytestmark = pytest.mark.slow(seconds=20)

ESSAY = "learning-to-stay"
PASSWORD = AUTHOR_PASSWORD
BASE = MODERATE


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_for_the_author(tmp_path_factory.mktemp("moderate")) as running:
        yield running


def submit(service, body: str, **fields) -> str:
    return submit_reflection(service.base, ESSAY, body, **fields)


@pytest.fixture
def author(service):
    client = author_client(service.base)
    yield client
    client.close()


def act(author, action: str, *ids: str, text: str = "") -> httpx.Response:
    return author.post(
        f"{BASE}/act", data={"csrf": author.csrf, "action": action, "id": list(ids), "text": text}
    )


def state(service, item: str) -> str:
    return json.loads(service.cli("show", item, "--json").stdout)["state"]


@pytest.mark.parametrize(
    "path", [BASE, f"{BASE}?view=private", f"{BASE}?view=published", f"{BASE}/log", f"{BASE}?state=spam"]
)
def test_strangers_get_the_login_page_and_no_data(service, path):
    secret = f"Pending words no stranger may read {time.time_ns()}"
    submit(service, secret, visibility="private", email="hidden@private.example")
    answer = httpx.get(service.base + path)
    assert answer.status_code == 200 and "Your password" in answer.text
    assert secret not in answer.text and "hidden@private.example" not in answer.text


def test_a_stranger_cannot_act(service):
    item = submit(service, "A stranger tries to approve me.")
    with httpx.Client(base_url=service.base) as stranger:
        csrf = csrf_of(stranger.get(BASE).text)
        answer = stranger.post(f"{BASE}/act", data={"csrf": csrf, "action": "approve", "id": item})
    assert answer.status_code == 401 and "Your password" in answer.text
    assert state(service, item) == "pending"


def test_wrong_password_is_refused(service):
    with httpx.Client(base_url=service.base) as client:
        csrf = csrf_of(client.get(BASE).text)
        answer = client.post(f"{BASE}/login", data={"csrf": csrf, "password": "not it"})
    assert answer.status_code == 401 and "not right" in answer.text


def test_session_cookie_is_httponly_strict_and_scoped(service):
    with httpx.Client(base_url=service.base) as client:
        csrf = csrf_of(client.get(BASE).text)
        answer = client.post(f"{BASE}/login", data={"csrf": csrf, "password": PASSWORD})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/reflections/moderate" in cookie


@pytest.mark.parametrize("csrf", [None, "", "forged-token"])
def test_post_without_the_right_csrf_token_is_403_and_changes_nothing(service, author, csrf):
    item = submit(service, f"Protected by CSRF {csrf}.")
    data = {"action": "approve", "id": item} | ({} if csrf is None else {"csrf": csrf})
    answer = author.post(f"{BASE}/act", data=data)
    assert answer.status_code == 403
    assert state(service, item) == "pending"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_get_or_head_on_the_action_url_changes_nothing(service, author, method):
    item = submit(service, f"Never changed by {method}.")
    answer = author.request(
        method, f"{BASE}/act", params={"csrf": author.csrf, "action": "approve", "id": item}
    )
    assert answer.status_code in (404, 405)  # the route takes POST only
    assert state(service, item) == "pending"


def test_queue_shows_what_the_author_needs(service, author):
    item = submit(service, "Shown *exactly* as published.", content_note="loss", name="Vera")
    page = author.get(BASE).text
    card = page[page.index(f'id="m-{item}"') :]
    assert "<bdi>Vera</bdi> on “<bdi>Learning to Stay</bdi>”" in card and "waiting a moment" in card
    assert "Content note: loss" in card and "Shown <em>exactly</em> as published." in card
    assert "The essay asks: When did someone simply stay with you" in page


def test_approve_publishes_and_the_log_records_it(service, author):
    item = submit(service, "Approved from the web.")
    assert act(author, "approve", item).status_code == 303
    assert state(service, item) == "approved"
    service.published()
    assert (service.root / "content" / "reflections" / ESSAY / f"{item}.md").exists()
    log = author.get(f"{BASE}/log").text
    # In people's words, not ids.
    who = "\u2068A reader\u2069’s reflection on “\u2068Learning to Stay\u2069”"
    assert f"<td>approved</td><td>{who}</td><td>author</td>" in log
    assert item not in log


def test_approve_with_edits_keeps_the_original(service, author):
    item = submit(service, "Orignal with a typo.")
    act(author, "approve_with_edit", item, text="Original, with the typo mended.")
    service.published()
    path = service.root / "content" / "reflections" / ESSAY / f"{item}.md"
    assert "Original, with the typo mended." in path.read_text()
    export = [json.loads(line) for line in service.cli("export").stdout.splitlines()]
    [edit] = [e for e in export if e["type"] == "log" and e["item"] == item and e["action"] == "edited"]
    assert edit["detail"] == "Orignal with a typo."


def test_respond_reject_spam_delete_unpublish_and_bulk(service, author):
    first, second, third, fourth = (submit(service, f"Item {n} for the actions.") for n in range(4))
    act(author, "respond", first, text="The author's answer.")
    assert state(service, first) == "approved"
    act(author, "reject", second)
    act(author, "spam", third)
    assert (state(service, second), state(service, third)) == ("rejected", "spam")
    # Delete asks first: the first click only shows what would be lost.
    asked = act(author, "delete", fourth)
    assert asked.status_code == 200 and "Delete this reflection for good?" in asked.text
    assert "Item 3 for the actions." in asked.text and "Keep it" in asked.text
    assert state(service, fourth) == "pending"
    confirmed = author.post(
        f"{BASE}/act", data={"csrf": author.csrf, "action": "delete", "id": fourth, "confirmed": "yes"}
    )
    assert confirmed.status_code == 303
    assert service.cli("show", fourth).returncode != 0
    act(author, "unpublish", first)
    assert state(service, first) == "pending"
    service.published()
    assert not (service.root / "content" / "reflections" / ESSAY / f"{first}.md").exists()
    a, b = submit(service, "Bulk one."), submit(service, "Bulk two.")
    act(author, "approve", a, b)
    assert (state(service, a), state(service, b)) == ("approved", "approved")


def test_login_attempts_are_rate_limited(tmp_path):
    running = RunningService(
        copy_site(tmp_path / "site"), tmp_path / "service.log", REFLECTIONS_LOGIN_RATE_LIMITS="3/minute"
    )
    running.cli("set-password", "--password-stdin", input=PASSWORD + "\n")
    running.start()
    try:
        with httpx.Client(base_url=running.base) as client:
            csrf = csrf_of(client.get(BASE).text)
            codes = [
                client.post(f"{BASE}/login", data={"csrf": csrf, "password": "guess"}).status_code
                for _ in range(3)
            ]
            last = client.post(f"{BASE}/login", data={"csrf": csrf, "password": PASSWORD})
        assert codes == [401, 401, 401] and last.status_code == 429
    finally:
        running.stop()


def test_logout_ends_the_session(service, author):
    assert author.post(f"{BASE}/logout", data={"csrf": author.csrf}).status_code == 303
    assert "Your password" in author.get(BASE).text


def test_editing_a_published_item_rewrites_its_file_and_logs_the_original(service, author):
    item = submit(service, "Published first, mended later.")
    act(author, "approve", item)
    act(author, "edit", item, text="Published first, mended by the author.")
    service.published()
    path = service.root / "content" / "reflections" / ESSAY / f"{item}.md"
    assert "mended by the author." in path.read_text()
    export = [json.loads(line) for line in service.cli("export").stdout.splitlines()]
    assert [e["detail"] for e in export if e.get("item") == item and e.get("action") == "edited"] == [
        "Published first, mended later."
    ]


def test_session_cookie_is_secure_when_the_site_is_published_over_https(tmp_path):
    running = RunningService(
        copy_site(tmp_path / "site"), tmp_path / "service.log", REFLECTIONS_SETTINGS="publishconf.py"
    )
    running.cli("set-password", "--password-stdin", input=PASSWORD + "\n")
    running.start()
    try:
        with httpx.Client(base_url=running.base) as client:
            csrf = csrf_of(client.get(BASE).text)
            answer = client.post(f"{BASE}/login", data={"csrf": csrf, "password": PASSWORD})
        assert "; secure" in answer.headers["set-cookie"].lower()
    finally:
        running.stop()


def test_mail_given_up_is_shown_to_the_author(service, author):
    store = Store(f"sqlite:///{service.root / 'reflections.db'}")
    try:
        store.enqueue_mail("reader@example.org", "Your reflection has an answer", "Kind words.")
        (mail,) = [m for m in store.outbox() if m.subject == "Your reflection has an answer"]
        for _ in range(MAX_MAIL_ATTEMPTS):
            store.mail_failed(mail.id, "ConnectionRefusedError: no mail server", datetime.now(UTC))
    finally:
        store.engine.dispose()
    page = author.get(BASE).text
    assert "Mail that could not be sent" in page
    assert "reader@example.org" in page and "no mail server" in page


def test_a_private_reflection_is_kept_or_answered_privately_never_approved(service, author):
    item = submit(service, "Only for the author, please.", visibility="private")
    page = author.get(f"{BASE}?view=private").text
    card = page[page.index(f'id="m-{item}"') :].split("</li>")[0]
    assert '<button type="submit" name="action" value="approve">Keep</button>' in card
    assert "Reply privately" in card and "Approve with edits" not in card and ">Approve<" not in card
    answer = act(author, "approve", item)
    assert answer.status_code == 303
    notice = author.get(BASE).text
    assert "is kept; it is private, so it stays out of the site." in notice


def test_a_reply_in_the_queue_shows_what_it_answers(service, author):
    first = submit(service, "The reflection a reader answers, in its own words.", name="Ines")
    act(author, "approve", first)
    service.published()
    reply = submit(service, "And my answer to it.", parent=first)
    page = author.get(BASE).text
    card = page[page.index(f'id="m-{reply}"') :].split("</li>")[0]
    assert "In reply to <bdi>Ines</bdi>: “The reflection a reader answers, in its own words.”" in card


def test_the_author_edits_name_content_note_and_words_and_the_log_keeps_the_originals(service, author):
    item = submit(service, "Words about my brother.", name="Jonas Jonasson", content_note="")
    answer = author.post(
        f"{BASE}/act",
        data={
            "csrf": author.csrf,
            "action": "approve_with_edit",
            "id": item,
            "text": "Words about my brother.",
            "name": "J.",
            "content_note": "a death in the family",
        },
    )
    assert answer.status_code == 303
    service.published()
    text = (service.root / "content" / "reflections" / ESSAY / f"{item}.md").read_text()
    assert "J." in text and "Jonas Jonasson" not in text and "a death in the family" in text
    export = [json.loads(line) for line in service.cli("export").stdout.splitlines()]
    details = [e["detail"] for e in export if e.get("item") == item and e.get("action") == "edited"]
    assert any("Jonas Jonasson" in detail for detail in details)
    essay = (service.root / "output" / "essays" / ESSAY / "index.html").read_text()
    assert "Jonas Jonasson" not in essay


def test_a_name_or_content_note_too_long_is_refused_with_the_reason(service, author):
    item = submit(service, "Words to be renamed.")
    answer = author.post(
        f"{BASE}/act",
        data={"csrf": author.csrf, "action": "edit", "id": item, "text": "Words.", "name": "N" * 500},
        follow_redirects=True,
    )
    assert "the name can be at most" in answer.text
    assert json.loads(service.cli("show", item, "--json").stdout)["name"] == ""


def test_every_list_is_paged_at_a_hundred(service, author):
    store = Store(f"sqlite:///{service.root / 'reflections.db'}")
    try:
        stamp = time.time_ns()
        store.add_many(
            [
                stored_item(n, id=f"page{stamp}{n:04d}", body=f"Paged {n}", visibility="private")
                for n in range(105)
            ],
            "reader",
        )
    finally:
        store.engine.dispose()
    first = author.get(f"{BASE}?view=private").text
    assert first.count('class="moderate-item"') == 100
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = author.get(f"{BASE}?view=private&page=2").text
    assert 'rel="prev"' in second
    shown = second.count('class="moderate-item"')
    assert 5 <= shown < 100
    page = author.get(f"{BASE}?view=private&page=oops")
    assert page.status_code == 200 and page.text.count('class="moderate-item"') == 100


def test_an_essay_s_prompt_is_shown_once_not_on_every_card(service, author):
    for n in range(3):
        submit(service, f"Prompt-once item {n} {time.time_ns()}")
    page = author.get(f"{BASE}?essay={ESSAY}").text
    assert page.count("When did someone simply stay with you in something hard") == 1


@pytest.mark.parametrize("form", ["login", "act", "logout"])
def test_a_non_ascii_csrf_value_is_refused_not_a_server_error(service, author, form):
    # hmac.compare_digest refuses str with non-ASCII characters: the token is compared as bytes.
    item = submit(service, f"A form token that is not ASCII must not approve me ({form}).")
    body = f"csrf=%C3%A9&password=x&action=approve&id={item}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = author.post(f"{BASE}/{form}", content=body, headers=headers)
    assert answer.status_code == 403, (form, answer.status_code, answer.text[:200])
    with httpx.Client(base_url=service.base) as stranger:
        answer = stranger.post(f"{BASE}/{form}", content=body, headers=headers)
    # A stranger's logout has nothing to end (303); the other forms refuse them.
    assert answer.status_code == (303 if form == "logout" else 401 if form == "act" else 403), answer.text
    assert state(service, item) == "pending"
    assert "Waiting for you" in author.get(BASE).text  # the author is still logged in
    assert "Traceback" not in service.log.read_text()


@pytest.mark.parametrize("path", [BASE, f"{BASE}/log", f"{BASE}?view=published", f"{BASE}?view=private"])
@pytest.mark.parametrize("page", ["9223372036854775807", "99999999999999999999999", "-3", "1e9", "٣"])
def test_any_page_number_answers_without_a_server_error(service, author, path, page):
    joiner = "&" if "?" in path else "?"
    answer = author.get(f"{path}{joiner}page={page}")
    assert answer.status_code in (200, 404), (path, page, answer.status_code)
    if answer.status_code == 200:
        assert "Moderation" in answer.text or "Waiting" in answer.text or "Published" in answer.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
    ],
)
def test_a_cross_origin_moderation_post_is_refused_even_with_a_valid_token(service, author, headers):
    item = submit(service, f"Approve me only from the moderation page itself ({sorted(headers.items())}).")
    answer = author.post(
        f"{BASE}/act", data={"csrf": author.csrf, "action": "approve", "id": item}, headers=headers
    )
    assert answer.status_code == 403, answer.text[:200]
    assert state(service, item) == "pending"
    # The service's own origin, as a browser sends it, is still accepted.
    own = {"Origin": service.base, "Referer": f"{service.base}{BASE}"}
    answer = author.post(
        f"{BASE}/act", data={"csrf": author.csrf, "action": "approve", "id": item}, headers=own
    )
    assert answer.status_code == 303
    assert state(service, item) == "approved"


def test_a_cross_origin_logout_or_rest_switch_is_refused(service, author):
    headers = {"Origin": "https://evil.example"}
    answer = author.post(f"{BASE}/logout", data={"csrf": author.csrf}, headers=headers)
    assert answer.status_code == 403
    assert "Waiting for you" in author.get(BASE).text  # still logged in
    answer = author.post(f"{BASE}/rest", data={"csrf": author.csrf, "until": "2999-01-01"}, headers=headers)
    assert answer.status_code == 403


def test_a_right_to_left_name_is_kept_apart_from_the_sentence_it_sits_in(service, author):
    """An Arabic name in an English sentence would pull the words after it into its direction:
    on pages it sits in <bdi>, in the words of a notice between Unicode isolates (U+2068, U+2069)."""
    name, essay, queue = "سارة", "the-kitchen-table", f"{BASE}?essay=the-kitchen-table"
    first = submit_reflection(service.base, essay, "Words from far away.", name=name)
    card = author.get(queue).text.split(f'id="m-{first}"', 1)[1]
    assert f"<bdi>{name}</bdi> on “<bdi>The Kitchen Table</bdi>”" in card
    answer = act(author, "approve", first)
    assert answer.status_code == 303
    notice = author.get(answer.headers["location"]).text
    assert f"\u2068{name}\u2069’s reflection on “\u2068The Kitchen Table\u2069” is approved" in notice
    service.published()
    status, reply_page = fetch(f"{service.base}/reflections/reply/{essay}/{first}")[:2]
    assert status == 200 and f">Reply to \u2068{name}\u2069</h1>" in reply_page
    reply = submit_reflection(service.base, essay, "An answer to Sara.", parent=first, name="Ben")
    card = author.get(queue).text.split(f'id="m-{reply}"', 1)[1]
    assert f"In reply to <bdi>{name}</bdi>:" in card


def test_the_essay_filter_offers_the_essays_with_something_in_the_view(service, author):
    submit(service, f"Something waiting on this essay {time.time_ns()}")
    options = re.findall(r'<option value="([^"]*)"[^>]*>', author.get(BASE).text)
    assert options[0] == "" and ESSAY in options  # "Every essay", then those with items waiting
    # An essay nothing was sent to is not offered (a site of thousands would send them all)...
    assert "small-rooms-open-doors" not in options
    # ...unless it is the one chosen, which stays chosen.
    chosen = author.get(f"{BASE}?essay=small-rooms-open-doors").text
    assert '<option value="small-rooms-open-doors" selected>' in chosen
