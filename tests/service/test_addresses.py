"""Who sent a request: the TCP peer, or the rightmost untrusted hop behind trusted proxies."""

import pytest
from pelican.plugins.reflections.service.addresses import client_address, networks

PROXIES = networks("127.0.0.1, ::1, 10.0.0.0/8")


def test_no_trusted_proxy_means_the_peer_whatever_the_header_says():
    assert client_address("127.0.0.1", "203.0.113.9", ()) == "127.0.0.1"
    assert client_address("203.0.113.7", "198.51.100.1", PROXIES) == "203.0.113.7"


def test_behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client():
    # The client wrote "1.2.3.4"; the proxy appended the address it saw.
    assert client_address("127.0.0.1", "1.2.3.4, 203.0.113.9", PROXIES) == "203.0.113.9"
    assert client_address("10.0.0.5", "1.2.3.4, 203.0.113.9, 10.0.0.7", PROXIES) == "203.0.113.9"
    assert client_address("127.0.0.1", "", PROXIES) == "127.0.0.1"
    assert client_address("127.0.0.1", "10.0.0.9", PROXIES) == "10.0.0.9"


def test_a_setting_that_names_no_address_is_refused():
    with pytest.raises(ValueError, match="'proxy.example' is not an IP address"):
        networks("127.0.0.1, proxy.example")
