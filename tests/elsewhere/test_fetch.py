"""Fetching from another site as hostile, against real servers on this machine: the address
checked after resolution and at every redirect, caps on size, time and redirects, HTML only, no
cookie sent back."""

import time

import pytest
from other_sites import OtherSite
from pelican.plugins.reflections.elsewhere.fetch import HTML, Fetcher, Refused, refusal


@pytest.fixture
def other():
    site = OtherSite()
    yield site
    site.close()


@pytest.mark.parametrize(
    "address, words",
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud's metadata address
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:10.0.0.1", "private"),  # an IPv4 address written as IPv6
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("fc00::1", "private"),
    ],
)
def test_an_address_that_is_not_public_is_refused(address, words):
    assert words in refusal(address)


def test_a_public_address_is_not_refused_and_loopback_only_with_the_setting():
    assert refusal("93.184.215.14") is None
    assert refusal("2606:4700::6810:85e5") is None
    assert refusal("127.0.0.1", allow_loopback=True) is None
    assert refusal("::1", allow_loopback=True) is None
    assert "private" in refusal("10.0.0.1", allow_loopback=True)


def test_without_the_setting_this_machine_is_never_asked(other):
    other.put("/page", "<p>hi</p>")
    fetcher = Fetcher()
    for address in (other.url("/page"), other.url("/page").replace("127.0.0.1", "localhost")):
        with pytest.raises(Refused, match="loopback"):
            fetcher.get(address, HTML)
    assert other.requests == []  # refused before a connection was made


def test_a_redirect_to_a_private_address_is_refused(other):
    other.put("/moved", "", status=302, headers={"Location": "http://10.20.30.40/admin"})
    other.put(
        "/to-metadata", "", status=301, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    fetcher = Fetcher(allow_loopback=True)
    started = time.monotonic()
    with pytest.raises(Refused, match="10.20.30.40 is a private address"):
        fetcher.get(other.url("/moved"), HTML)
    with pytest.raises(Refused, match="link-local"):
        fetcher.get(other.url("/to-metadata"), HTML)
    # Refused before connecting: an unroutable private address would otherwise wait for the timeout.
    assert time.monotonic() - started < 5


def test_a_redirect_to_another_scheme_and_too_many_redirects_are_refused(other):
    other.put("/file", "", status=302, headers={"Location": "file:///etc/passwd"})
    for hop in range(7):
        other.put(f"/hop{hop}", "", status=302, headers={"Location": f"/hop{hop + 1}"})
    other.put("/hop7", "<p>the end</p>")
    fetcher = Fetcher(allow_loopback=True)
    with pytest.raises(Refused, match="not http or https"):
        fetcher.get(other.url("/file"), HTML)
    with pytest.raises(Refused, match="more than 5 redirects"):
        fetcher.get(other.url("/hop0"), HTML)
    assert fetcher.get(other.url("/hop2"), HTML).text == "<p>the end</p>"  # five hops are fine


def test_only_html_and_no_more_than_the_cap(other):
    other.put("/data", "{}", content_type="application/json")
    other.put("/big", "<p>" + "x" * 2_000_000 + "</p>")
    other.put("/big-undeclared", "<p>" + "x" * 2_000_000 + "</p>", trickle=0.0001)
    fetcher = Fetcher(allow_loopback=True)
    with pytest.raises(Refused, match="application/json, not text/html"):
        fetcher.get(other.url("/data"), HTML)
    with pytest.raises(Refused, match="larger than 1,000,000 bytes"):
        fetcher.get(other.url("/big"), HTML)
    with pytest.raises(Refused, match="larger than 1,000,000 bytes"):
        fetcher.get(other.url("/big-undeclared"), HTML)


def test_a_slow_source_is_given_up(other):
    other.put("/slow", "<p>" + "word " * 4000 + "</p>", trickle=0.5)
    fetcher = Fetcher(allow_loopback=True, seconds=1.5)
    with pytest.raises(Refused, match="longer than 1.5 seconds|no answer within 1.5 seconds"):
        fetcher.get(other.url("/slow"), HTML)


def test_no_cookie_is_sent_back_and_an_error_status_is_given(other):
    other.put("/first", "", status=302, headers={"Location": "/second", "Set-Cookie": "session=abc; Path=/"})
    other.put("/second", "<p>second</p>")
    other.put("/gone", "gone", status=410, content_type="text/plain")
    fetcher = Fetcher(allow_loopback=True)
    assert fetcher.get(other.url("/first"), HTML).text == "<p>second</p>"
    assert fetcher.get(other.url("/second"), HTML).text == "<p>second</p>"
    assert all("Cookie" not in headers and "cookie" not in headers for _, headers in other.requests)
    gone = fetcher.get(other.url("/gone"), HTML)
    assert (gone.status, gone.text) == (410, "")


def test_no_credentials_are_ever_sent(other):
    other.put(
        "/to-credentials",
        "",
        status=302,
        headers={"Location": other.url("/x").replace("//", "//user:secret@")},
    )
    other.put("/x", "<p>x</p>")
    fetcher = Fetcher(allow_loopback=True)
    with pytest.raises(Refused, match="only http and https"):
        fetcher.get(other.url("/x").replace("//", "//user:secret@"), HTML)
    with pytest.raises(Refused, match="user or password"):
        fetcher.get(other.url("/to-credentials"), HTML)
    assert all(
        "Authorization" not in headers and "authorization" not in headers for _, headers in other.requests
    )
