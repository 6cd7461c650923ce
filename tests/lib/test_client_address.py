"""The client's address behind trusted proxies: only the hops the proxies wrote are believed."""

from __future__ import annotations

import pytest

from rekisteri.lib.client_address import client_address


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "expected"),
    [
        # No proxy trusted: whatever the client writes into the header is ignored.
        ("198.51.100.7", "203.0.113.1", 0, "198.51.100.7"),
        # One proxy: the address it appended (the right-most), not what the client wrote before it.
        ("10.0.0.1", "6.6.6.6, 203.0.113.1", 1, "203.0.113.1"),
        ("10.0.0.1", "203.0.113.1", 1, "203.0.113.1"),
        # Two proxies: the second-nearest appended the first's address after the client's.
        ("10.0.0.2", "6.6.6.6, 203.0.113.1, 10.0.0.1", 2, "203.0.113.1"),
        # A request that came round the proxy carries no header: its own address.
        ("203.0.113.9", None, 1, "203.0.113.9"),
        ("203.0.113.9", "", 1, "203.0.113.9"),
        # Fewer hops than proxies: the left-most address a trusted hop gave.
        ("10.0.0.2", "203.0.113.1", 2, "203.0.113.1"),
        # Garbage from a hop stops the walk at the last good address.
        ("10.0.0.1", "not-an-address", 1, "10.0.0.1"),
        # Forms some proxies write: with a port, IPv6 in brackets, spaces; normalised.
        ("10.0.0.1", "203.0.113.1:5123", 1, "203.0.113.1"),
        ("10.0.0.1", "[2001:DB8::1]:443", 1, "2001:db8::1"),
        ("10.0.0.1", " 2001:db8:0:0::1 ", 1, "2001:db8::1"),
    ],
)
def test_the_client_is_the_address_the_trusted_proxies_vouch_for(remote, forwarded, proxies, expected):
    assert client_address(remote, forwarded, proxies) == expected


def test_a_client_cannot_pick_its_address_by_writing_the_header():
    addresses = {client_address("10.0.0.1", f"198.51.100.{n}, 203.0.113.1", 1) for n in range(20)}

    assert addresses == {"203.0.113.1"}
