"""Email with a real SMTP server (aiosmtpd on 127.0.0.1): the author's notice and its links, the
reader's double opt-in and unsubscribe, an SMTP outage, and the daily digest."""

import base64
import json
import re
import sqlite3
import time

import httpx
import pytest
from conftest import RunningService, copy_site, free_port, smtp_server, submit_reflection, wait_for

#: A minute or more in all (`-m "not slow"` leaves it out of a quick run).
pytestmark = pytest.mark.slow(seconds=30)

ESSAY = "learning-to-stay"
AUTHOR = "author@site.example"


def mail_service(
    tmp_path, smtp_port: int, public_url: bool = True, site=None, **environment
) -> RunningService:
    running = RunningService(
        site or copy_site(tmp_path / "site"),
        tmp_path / "service.log",
        REFLECTIONS_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
        REFLECTIONS_AUTHOR_EMAIL=AUTHOR,
        REFLECTIONS_MAIL_FROM="Withness <reflections@site.example>",
        REFLECTIONS_MAIL_INTERVAL="0.3",
        REFLECTIONS_MAIL_RETRY_SECONDS="0.5",
        REFLECTIONS_TOKEN_MIN_SECONDS="0",
        REFLECTIONS_RATE_LIMITS="1000/minute",
        **environment,
    )
    if public_url:
        running.environment["REFLECTIONS_PUBLIC_URL"] = running.base
    else:  # unset, even where the machine's environment has it: the links must still work
        running.environment.pop("REFLECTIONS_PUBLIC_URL", None)
    return running.start()


@pytest.fixture
def smtp():
    controller, inbox = smtp_server(free_port())
    yield controller, inbox
    controller.stop()


@pytest.fixture
def service(tmp_path, smtp):
    running = mail_service(tmp_path, smtp[0].port)
    yield running
    running.stop()


def submit(service, body: str, **fields) -> str:
    return submit_reflection(service.base, ESSAY, body, **fields)


def state(service, item: str) -> str:
    return json.loads(service.cli("show", item, "--json").stdout)["state"]


def links(message) -> list[str]:
    return re.findall(r"https?://\S+", message.get_content())


def test_author_mail_is_plain_text_with_links_that_ask_first(service, smtp, browser):
    _, inbox = smtp
    item = submit(service, "Words with <b>markup</b> & a line.\nAnd a second line.", name="Noor")
    [notice] = wait_for(lambda: inbox.to(AUTHOR))
    assert notice.get_content_type() == "text/plain" and not notice.is_multipart()
    text = notice.get_content()
    assert (
        "A new reflection on “Learning to Stay”" in text and "    From: \u2068Noor\u2069" in text.splitlines()
    )
    assert "    Words with <b>markup</b> & a line." in text
    approve = next(link for link in links(notice) if "/reflections/mail/act/" in link)
    assert httpx.get(approve).status_code == 200  # what a mail scanner does
    assert httpx.head(approve).status_code in (200, 405)
    assert state(service, item) == "pending"
    page = browser.new_page()
    page.goto(approve)
    assert page.locator("h1").inner_text() == "Approve this reflection?"
    page.click("button[type=submit]")
    assert (
        "on “\u2068Learning to Stay\u2069” is approved; it will be on the site in a moment."
        in page.locator("main").inner_text()
    )
    page.close()
    assert state(service, item) == "approved"


def test_forged_links_change_nothing(service):
    for path in (
        "/reflections/mail/act/forged",
        "/reflections/mail/confirm/forged",
        "/reflections/mail/unsubscribe/forged",
    ):
        assert httpx.post(service.base + path).status_code == 404


def test_reader_double_opt_in_reply_and_unsubscribe(service, smtp):
    _, inbox = smtp
    reader = "listening.reader@private.example"
    first = submit(service, "Please tell me when you reply.", email=reader, notify=True)
    second = submit(service, "A second reflection, same address.", email=reader, notify=True)
    [confirm] = wait_for(lambda: inbox.to(reader))
    assert service.cli("respond", first, "--text", "A reply before you confirmed.").returncode == 0
    time.sleep(1.5)  # several worker rounds
    assert len(inbox.to(reader)) == 1  # never a second mail to an unconfirmed address
    confirm_link = next(link for link in links(confirm) if "/reflections/mail/confirm/" in link)
    assert "Confirm your address?" in httpx.get(confirm_link).text
    assert "Thank you" in httpx.post(confirm_link).text
    assert service.cli("respond", second, "--text", "Now you will hear of this one.").returncode == 0
    reply = wait_for(lambda: [m for m in inbox.to(reader) if "replied" in m["Subject"]])[0]
    assert "Now you will hear of this one." in reply.get_content()
    unsubscribe = next(link for link in links(reply) if "/reflections/mail/unsubscribe/" in link)
    assert reply["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert "Done" in httpx.post(unsubscribe).text
    assert service.cli("respond", second, "--text", "And one more, unheard.").returncode == 0
    time.sleep(1.5)
    assert len([m for m in inbox.to(reader) if "replied" in m["Subject"]]) == 1


def test_smtp_outage_is_retried_and_the_submission_is_intact(tmp_path):
    port = free_port()  # nothing listens here yet
    running = mail_service(tmp_path, port)
    controller = None
    try:
        item = submit(running, "Sent while the mail server was down.")
        database = running.root / "reflections.db"

        def failed_once():
            with sqlite3.connect(database) as db:
                row = db.execute("SELECT attempts, last_error FROM outbox").fetchone()
            return row if row and row[0] >= 1 else None

        attempts, error = wait_for(failed_once)
        assert error  # the outage is recorded
        assert state(running, item) == "pending"
        controller, inbox = smtp_server(port)
        [notice] = wait_for(lambda: inbox.to(AUTHOR), seconds=60)
        assert "Sent while the mail server was down." in notice.get_content()
        assert state(running, item) == "pending"

        def kept():
            with sqlite3.connect(database) as db:
                return db.execute("SELECT recipient, subject, body, sent FROM outbox").fetchone()

        # Sent: the reader's words leave the outbox; who, what and when stay.
        recipient, subject, body, sent = wait_for(lambda: (row := kept()) and row[3] and row)
        assert recipient == AUTHOR and subject and body == "" and sent
    finally:
        running.stop()
        if controller:
            controller.stop()


def test_digest_sends_one_mail_for_several_submissions(tmp_path, smtp):
    _, inbox = smtp
    running = mail_service(
        tmp_path, smtp[0].port, REFLECTIONS_NOTIFY="digest", REFLECTIONS_DIGEST_SECONDS="2"
    )
    try:
        submit(running, "The first of the day.")
        submit(running, "The second of the day.")
        [digest] = wait_for(lambda: inbox.to(AUTHOR), seconds=30)
        text = digest.get_content()
        assert digest["Subject"] == "2 new reflections"
        assert "The first of the day." in text and "The second of the day." in text
        time.sleep(1)
        assert len(inbox.to(AUTHOR)) == 1
    finally:
        running.stop()


def test_mail_links_name_the_real_port_and_reader_links_never_the_address(tmp_path, smtp):
    controller, inbox = smtp
    running = mail_service(tmp_path, controller.port, public_url=False)
    try:
        reader = "quiet.reader@private.example"
        submit_reflection(running.base, ESSAY, "Tell me when you reply.", email=reader, notify=True)
        [notice] = wait_for(lambda: inbox.to(AUTHOR))
        [confirm] = wait_for(lambda: inbox.to(reader))
        for message in (notice, confirm):
            assert links(message) and all(link.startswith(running.base + "/") for link in links(message))
        confirm_link = next(link for link in links(confirm) if "/reflections/mail/confirm/" in link)
        token = confirm_link.rsplit("/", 1)[1]
        padded = token.split(".")[0] + "=" * (-len(token.split(".")[0]) % 4)
        decoded = base64.urlsafe_b64decode(padded).decode("utf-8", "replace")
        assert reader not in confirm_link and "quiet.reader" not in decoded
        assert "Thank you" in httpx.post(confirm_link).text
    finally:
        running.stop()


def test_reader_fields_in_the_authors_mail_cannot_pose_as_its_action_links(service, smtp):
    _, inbox = smtp
    forged = "Approve: https://evil.example/approve"
    submit(service, "Approve: https://evil.example/also\nA second line.", name=forged, content_note=forged)
    notice = wait_for(lambda: [m for m in inbox.to(AUTHOR) if "evil.example" in m.get_content()])[0]
    lines = notice.get_content().splitlines()
    actions = [line for line in lines if line.startswith(("Approve:", "Reject:", "Spam:"))]
    assert len(actions) == 3 and all(service.base in line for line in actions), actions
    assert all(line.startswith("    ") for line in lines if "evil.example" in line)


def test_the_received_page_promises_the_confirm_mail_when_mail_is_on(service, smtp):
    with httpx.Client(base_url=service.base) as client:
        token = client.get("/reflections/token", params={"essay": ESSAY}).json()["token"]
        fields = {"essay": ESSAY, "body": "Tell me, please.", "token": token}
        answer = client.post(
            "/reflections/submit", json={**fields, "email": "r@private.example", "notify": True}
        )
        page = client.get(f"/reflections/received/{answer.json()['withdraw_token']}").text
    assert "we have sent you a mail asking you to confirm it" in page


def test_mail_speaks_the_readers_language_and_the_authors_site_language(tmp_path, smtp):
    """A German site: a reader of a German essay and a reader of a Japanese one each get their
    confirm and reply mails in their essay's language; the author's notices are in German."""
    _, inbox = smtp
    site = copy_site(tmp_path / "site")
    settings = site / "pelicanconf.py"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace('DEFAULT_LANG = "en"', 'DEFAULT_LANG = "de"'),
        encoding="utf-8",
    )
    (site / "content" / "essays" / "kokoro.md").write_text(
        "Title: 心\nDate: 2026-03-16 09:30\nSlug: kokoro\nLang: ja\n\n心についてのエッセイ。\n",
        encoding="utf-8",
    )
    running = mail_service(tmp_path, smtp[0].port, site=site)
    try:
        german, japanese = "leserin@private.example", "dokusha@private.example"
        first = submit_reflection(
            running.base, ESSAY, "Bitte sagen Sie mir Bescheid.", email=german, notify=True
        )
        second = submit_reflection(
            running.base, "kokoro", "返信を待っています。", email=japanese, notify=True
        )
        notices = wait_for(lambda: inbox.to(AUTHOR) if len(inbox.to(AUTHOR)) == 2 else None)
        assert {notice["Subject"] for notice in notices} == {
            "Neue Reflexion zu „Learning to Stay“",
            "Neue Reflexion zu „心“",
        }
        assert all("Freigeben: " in notice.get_content() for notice in notices)

        [confirm] = wait_for(lambda: inbox.to(german))
        assert confirm["Subject"] == "Bitte bestätigen Sie Ihre Adresse"
        assert "Wenn Sie das nicht waren, ignorieren Sie diese Mail" in confirm.get_content()
        [kakunin] = wait_for(lambda: inbox.to(japanese))
        assert kakunin["Subject"] == "アドレスを確認してください"

        for mail in (confirm, kakunin):
            link = next(link for link in links(mail) if "/reflections/mail/confirm/" in link)
            assert httpx.post(link).status_code == 200
        assert running.cli("respond", first, "--text", "Danke für Ihre Worte.").returncode == 0
        assert running.cli("respond", second, "--text", "ありがとう。").returncode == 0
        reply = wait_for(lambda: [m for m in inbox.to(german) if m["Subject"] != confirm["Subject"]])[0]
        assert reply["Subject"] == "Die Autorin oder der Autor hat zu „Learning to Stay“ geantwortet"
        assert "Keine solchen Mails mehr: " in reply.get_content()
        henshin = wait_for(lambda: [m for m in inbox.to(japanese) if m["Subject"] != kakunin["Subject"]])[0]
        assert henshin["Subject"] == "「心」について著者が返信しました"
    finally:
        running.stop()


def test_reply_mail_has_a_one_click_unsubscribe_header_that_mail_clients_read(service, smtp):
    _, inbox = smtp
    reader = "one.click.reader@private.example"
    item = submit(service, "Tell me of a reply, and let me stop it in one click.", email=reader, notify=True)
    [confirm] = wait_for(lambda: inbox.to(reader))
    httpx.post(next(link for link in links(confirm) if "/reflections/mail/confirm/" in link))
    assert service.cli("respond", item, "--text", "A reply with a one-click way out.").returncode == 0
    reply = wait_for(lambda: [m for m in inbox.to(reader) if "replied" in m["Subject"]])[0]
    # The header on the wire: one line, the address in angle brackets, never an encoded word.
    head = reply.raw.split(b"\r\n\r\n")[0].split(b"\n\n")[0].decode("ascii")
    unfolded = re.findall(r"^List-Unsubscribe: (.*?)\r?$", head, re.MULTILINE)
    assert (
        unfolded and unfolded[0].startswith("<http") and "=?" not in head.split("List-Unsubscribe:")[1][:20]
    )
    one_click = re.fullmatch(r"<(http[^>]+)>", unfolded[0]).group(1)
    assert re.search(r"^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$", head, re.MULTILINE)
    # The link in the body still asks first; the header's address acts on the client's POST alone.
    in_body = next(link for link in links(reply) if "/reflections/mail/unsubscribe/" in link)
    assert "Stop the mails?" in httpx.get(in_body).text
    answer = httpx.post(
        one_click,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert service.cli("respond", item, "--text", "Unheard: the reader left in one click.").returncode == 0
    time.sleep(1.5)
    assert len([m for m in inbox.to(reader) if "replied" in m["Subject"]]) == 1


def test_a_reader_mail_that_cannot_be_sent_is_logged_without_its_address(tmp_path):
    port = free_port()  # nothing listens here: every attempt fails
    running = mail_service(tmp_path, port)
    reader = "unreachable.reader@private.example"
    try:
        submit(running, "My address must never reach a log.", email=reader, notify=True, name="Ottilie Quill")

        def retried():
            lines = [line for line in running.log.read_text().splitlines() if "not sent" in line]
            return len(lines) >= 4 and lines

        lines = wait_for(retried, seconds=60)
    finally:
        running.stop()
    log = running.log.read_text()
    assert reader not in log and "unreachable.reader" not in log and "Ottilie" not in log
    assert AUTHOR not in log
    # What the operator needs instead: which outbox message, of what kind, which attempt.
    assert any(re.search(r"Mail \d+ \(confirm\) not sent \(attempt \d+", line) for line in lines), lines
    assert any(re.search(r"Mail \d+ \(author-notice\) not sent", line) for line in lines), lines
