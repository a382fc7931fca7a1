"""The built site as `reflections serve` serves it (service/sitefiles.py): each answer is one
version of its file, whole, even while the publisher replaces that file again and again."""

import http.client
import os
import threading

import pytest
from conftest import running_for_the_author


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_for_the_author(tmp_path_factory.mktemp("sitefiles")) as running:
        yield running


def test_a_page_replaced_while_it_is_read_is_answered_whole_in_one_version(service):
    page = service.root / "output" / "about-replacing" / "index.html"
    page.parent.mkdir(parents=True)
    versions = [f"<!doctype html><title>{n}</title>{'words ' * (2000 * n)}".encode() for n in (1, 3)]
    page.write_bytes(versions[0])
    done = threading.Event()

    def publish_again_and_again() -> None:
        # As the writer publishes a page: a whole new file renamed into place (writer.py).
        turn = 0
        while not done.is_set():
            turn += 1
            fresh = page.with_name(f".index.html.{turn}")
            fresh.write_bytes(versions[turn % 2])
            os.replace(fresh, page)

    publisher = threading.Thread(target=publish_again_and_again)
    publisher.start()
    answers = []
    try:
        for _ in range(300):
            connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)
            try:
                connection.request("GET", "/about-replacing/")
                response = connection.getresponse()
                answers.append((response.status, response.read()))
            except http.client.HTTPException as error:
                answers.append((0, repr(error).encode()))
            finally:
                connection.close()
    finally:
        done.set()
        publisher.join()
    broken = [(status, body[:80]) for status, body in answers if status != 200 or body not in versions]
    assert not broken, f"{len(broken)} of {len(answers)} answers were not one whole version: {broken[:3]}"
    assert {body for _, body in answers} == set(versions)  # both versions were really served


def test_a_page_asked_for_again_with_its_etag_is_not_sent_again(service):
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)
    connection.request("GET", "/")
    first = connection.getresponse()
    body, etag = first.read(), first.getheader("etag")
    assert first.status == 200 and etag and int(first.getheader("content-length")) == len(body)
    connection.request("GET", "/", headers={"If-None-Match": etag})
    again = connection.getresponse()
    assert again.status == 304 and again.read() == b""
    connection.request("HEAD", "/")
    head = connection.getresponse()
    assert head.status == 200 and head.read() == b"" and int(head.getheader("content-length")) == len(body)
    connection.request("GET", "/")  # the same connection: the HEAD answer sent no body into it
    assert connection.getresponse().read() == body
    connection.close()
