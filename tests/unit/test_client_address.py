"""Whose address a request comes from: the peer, unless it is one of our own reverse proxies."""

from __future__ import annotations

import pytest

from backend.client_address import client_address
from backend.settings import Settings, parse_networks

PROXIES = parse_networks("10.0.0.0/8, 127.0.0.1, fd00::/8")


def test_a_peer_that_is_not_our_proxy_is_the_client_whatever_it_forwards():
    assert client_address("198.51.100.7", ["203.0.113.1"], PROXIES) == "198.51.100.7"
    assert client_address("198.51.100.7", [], ()) == "198.51.100.7"


def test_with_no_proxies_configured_even_loopback_is_believed_as_itself():
    assert client_address("127.0.0.1", ["203.0.113.1"], ()) == "127.0.0.1"


def test_behind_our_proxy_the_right_most_address_not_ours_is_the_client():
    # The client wrote "1.1.1.1" itself; our nginx appended the address it really came from.
    assert client_address("10.0.0.2", ["1.1.1.1, 203.0.113.5"], PROXIES) == "203.0.113.5"
    # Two of our proxies in a row are skipped.
    assert client_address("127.0.0.1", ["203.0.113.5, 10.0.0.9"], PROXIES) == "203.0.113.5"
    # Several header lines count as one list, in order.
    assert client_address("10.0.0.2", ["1.1.1.1", "203.0.113.5"], PROXIES) == "203.0.113.5"


def test_odd_forwarding_chains_fall_back_to_what_our_proxies_vouch_for():
    assert client_address("10.0.0.2", [], PROXIES) == "10.0.0.2"
    assert client_address("10.0.0.2", ["10.0.0.3"], PROXIES) == "10.0.0.3"
    assert client_address("10.0.0.2", ["not-an-ip"], PROXIES) == "10.0.0.2"
    assert client_address("10.0.0.2", ["203.0.113.5:4711"], PROXIES) == "203.0.113.5"
    assert client_address("fd00::1", ["[2001:db8::7]:443"], PROXIES) == "2001:db8::7"
    assert client_address("::ffff:10.0.0.2", ["203.0.113.5"], PROXIES) == "203.0.113.5"


def test_the_setting_is_read_from_the_environment_and_a_typo_stops_the_start():
    env = {"CASETRAIL_DATA_DIR": "/tmp/ct-proxies"}
    assert Settings.from_env(env).trusted_proxies == ()
    read = Settings.from_env({**env, "CASETRAIL_TRUSTED_PROXIES": "10.0.0.5, 192.168.0.0/16"})
    assert read.trusted_proxies == ("10.0.0.5/32", "192.168.0.0/16")
    with pytest.raises(ValueError, match="CASETRAIL_TRUSTED_PROXIES"):
        Settings.from_env({**env, "CASETRAIL_TRUSTED_PROXIES": "10.0.0.300"})
