"""Fixtures for the staff UI tests: logged-in clients and a staff member without permissions."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from conftest import make_staff
from rekisteri.accounts.models import Role
from rekisteri.audit.models import AuditEvent


@pytest.fixture
def login():
    """login(user) -> a test client holding that user's session."""

    def _login(user) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture
def powerless(cast):
    """A salesperson with a signed NDA whose role group has been taken away: no permissions."""
    user = make_staff("pekka.powerless", Role.SALES, date(2024, 1, 15))
    user.groups.clear()
    return user


def events(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**filters).order_by("seq"))
