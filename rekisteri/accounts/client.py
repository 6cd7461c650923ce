"""The client address every limit keys on (the portal's, the login lockout's)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from rekisteri.lib.client_address import client_address as _client_address


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind REKISTERI_TRUSTED_PROXIES proxies the address they vouch for.

    Also axes' AXES_CLIENT_IP_CALLABLE, so the login lockout counts the visitor, not the proxy.
    """
    return _client_address(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR"),
        settings.TRUSTED_PROXIES,
    )
