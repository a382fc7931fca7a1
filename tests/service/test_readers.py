"""Moderating more with less: trusted readers (REFLECTIONS_TRUST_RETURNING), recognised by the
address they confirmed in the browser they confirmed it from, published without waiting unless
their words need care; and the block list, whose readers' later words are kept as spam, silently.
All through the real service, with real mail."""

import json
import re

import httpx
import pytest
from conftest import author_client, copy_site, csrf_of, free_port, smtp_server, wait_for, with_password
from test_mail import AUTHOR, links, mail_service

#: A minute or so: real mail, several services.
pytestmark = pytest.mark.slow(seconds=20)

ESSAY = "learning-to-stay"
READER = "returning.reader@private.example"


@pytest.fixture(scope="module")
def smtp():
    controller, inbox = smtp_server(free_port())
    yield controller, inbox
    controller.stop()


@pytest.fixture(scope="module")
def service(tmp_path_factory, smtp):
    root = copy_site(tmp_path_factory.mktemp("readers") / "site")
    with (root / "pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write("\nREFLECTIONS_TRUST_RETURNING = True\n")
    running = with_password(mail_service(root.parent, smtp[0].port, site=root))
    yield running
    running.stop()


def send(client: httpx.Client, body: str, **fields) -> str:
    token = client.get("/reflections/token", params={"essay": ESSAY}).json()["token"]
    answer = client.post("/reflections/submit", json={"essay": ESSAY, "body": body, "token": token, **fields})
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


def shown(service, item: str) -> dict:
    return json.loads(service.cli("show", item, "--json").stdout)


def test_a_returning_reader_is_published_without_waiting_and_an_impostor_is_not(service, smtp):
    _, inbox = smtp
    browser = httpx.Client(base_url=service.base)
    first = send(browser, "My first words here, waiting as everyone's do.", email=READER, notify=True)
    [confirm] = wait_for(lambda: inbox.to(READER))
    link = next(link for link in links(confirm) if "/reflections/mail/confirm/" in link)
    browser.post(link.replace(service.base, ""))
    assert "withness_reader" in browser.cookies
    assert shown(service, first)["state"] == "pending"
    assert service.cli("approve", first).returncode == 0

    second = send(browser, "Coming back: these words need not wait.", email=READER)
    row = shown(service, second)
    assert row["state"] == "approved" and "trusted" in row["flags"]
    service.published()
    assert "Coming back: these words need not wait." in browser.get(f"/essays/{ESSAY}/").text
    assert "approved by trusted reader" in service.cli("show", second).stdout  # the author's log says so
    # The author is told, and the mail's Reject link takes it off.
    told = wait_for(lambda: [m for m in inbox.to(AUTHOR) if "need not wait" in m.get_content()])[0]
    assert "From a reader you trust: it is on the site already. Reject takes it off." in told.get_content()

    # The same address typed in another browser proves nothing: it waits.
    impostor = send(httpx.Client(base_url=service.base), "Posing as the returning reader.", email=READER)
    assert shown(service, impostor)["state"] == "pending"
    # Words that may need care always wait for the author, trusted or not.
    care = send(browser, "Some nights I think about how I want to kill myself.", email=READER)
    assert shown(service, care)["state"] == "pending" and "care" in shown(service, care)["flags"]
    # Undone with one click: the published list's Unpublish.
    author = author_client(service.base)
    page = author.get("/reflections/moderate", params={"view": "published"}).text
    assert f'id="m-{second}"' in page and 'value="unpublish"' in page


def test_a_blocked_reader_s_later_words_are_kept_as_spam_silently(service):
    browser = httpx.Client(base_url=service.base)
    author = author_client(service.base)
    bad = send(browser, "Something the author will not have here.", email=READER)
    page = author.get("/reflections/moderate").text
    card = page[page.index(f'id="m-{bad}"') :]
    assert 'value="block_email"' in card.split("</li>", 1)[0]  # offered: the address is confirmed
    answer = author.post(
        "/reflections/moderate/act", data={"csrf": csrf_of(page), "id": bad, "action": "block_email"}
    )
    assert answer.status_code == 303
    assert shown(service, bad)["state"] == "spam"
    later = send(httpx.Client(base_url=service.base), "Trying again from elsewhere.", email=READER.upper())
    assert shown(service, later)["state"] == "spam" and "blocked" in shown(service, later)["flags"]
    listed = author.get("/reflections/moderate").text
    assert READER not in listed  # the block list never shows the address
    mark = re.search(r'name="mark" value="(\d+)"', listed).group(1)
    author.post("/reflections/moderate/marks", data={"csrf": csrf_of(listed), "mark": mark})
    again = send(httpx.Client(base_url=service.base), "Unblocked, waiting again.", email=READER)
    assert shown(service, again)["state"] == "pending"
