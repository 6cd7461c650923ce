"""The client's address behind a known number of trusted reverse proxies.

Behind a proxy, REMOTE_ADDR is the proxy's own address: limits keyed on it would count every
visitor as one. Each trusted proxy appends the address it received the request from to
X-Forwarded-For, so with N trusted proxies the client is the N-th address from the right of
"X-Forwarded-For, REMOTE_ADDR". Anything further left was written by the client itself and
is never believed (ASVS 5.0 V4.1).
"""

from __future__ import annotations

import ipaddress


def _address(value: str) -> str | None:
    """A normalised IP address, or None. Accepts "[v6]:port" and "v4:port" as some proxies write them."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(remote_addr: str, forwarded_for: str | None, trusted_proxies: int) -> str:
    """The address of the client that the nearest trusted proxies vouch for.

    With no trusted proxies, REMOTE_ADDR. With N, walk N hops left from REMOTE_ADDR through
    X-Forwarded-For. A chain shorter than N (a request that came round the proxies) or a
    malformed hop stops the walk at the last address a trusted hop gave.
    """
    current = _address(remote_addr) or remote_addr.strip()
    if trusted_proxies <= 0 or not forwarded_for:
        return current
    hops = [hop for hop in forwarded_for.split(",") if hop.strip()]
    for _ in range(trusted_proxies):
        if not hops:
            break
        candidate = _address(hops.pop())
        if candidate is None:
            break
        current = candidate
    return current
