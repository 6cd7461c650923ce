"""Reading staff."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model

from rekisteri.accounts.models import Role


def privacy_officer_addresses() -> list[str]:
    """Where the privacy officer's mail goes (the deadline digest, delivery alerts): active
    privacy officers with an address, and settings.PRIVACY_OFFICER_EMAILS; each address
    once, in a stable order."""
    officers = (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__role=Role.PRIVACY_OFFICER)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    addresses: dict[str, str] = {}
    for address in [*officers, *settings.PRIVACY_OFFICER_EMAILS]:
        address = address.strip()
        if address:
            addresses.setdefault(address.casefold(), address)
    return list(addresses.values())
