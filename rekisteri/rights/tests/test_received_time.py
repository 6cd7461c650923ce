"""A request entered with its day only shows that day: no clock time is made up for it.

Staff enter the day a letter, call or e-mail came; the portal knows the moment it received a
request. The detail page, the list, the API and the CLI all say the same.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.rights.models import DataSubjectRequest
from rekisteri.rights.services import portal_submit, request_create

pytestmark = pytest.mark.django_db


def _login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _received_cell(body: str) -> str:
    start = body.index("<dt>Vastaanotettu</dt>")
    return body[start : body.index("</dd>", start)]


def test_a_request_staff_enter_keeps_its_day_and_no_time(cast):
    received = timezone.localdate() - timedelta(days=3)
    client = _login(cast.privacy_officer)

    client.post(
        "/requests/new/",
        {
            "type": "access",
            "channel": "letter",
            "received_on": received.isoformat(),
            "name": "Anna Virtanen",
            "language": "fi",
            "verification": "",
        },
    )

    dsr = DataSubjectRequest.objects.get()
    assert dsr.received_on == received and dsr.received_at is None
    cell = _received_cell(client.get(f"/requests/{dsr.pk}/").content.decode())
    assert f"{received.day}.{received.month}.{received.year}" in cell
    assert "klo" not in cell and ":" not in cell


def test_a_portal_request_shows_the_moment_it_came(cast):
    before = timezone.now()
    dsr = portal_submit(type="access", email="anna.virtanen@testi.fi", client="10.0.0.1")

    assert before <= dsr.received_at <= timezone.now()
    cell = _received_cell(_login(cast.privacy_officer).get(f"/requests/{dsr.pk}/").content.decode())
    assert f"klo {timezone.localtime(dsr.received_at):%H:%M}" in cell


def test_the_api_and_the_cli_say_the_same(cast, system_actor):
    from rekisteri.accounts.services import token_create

    entered = request_create(
        actor=system_actor,
        type="access",
        channel="phone",
        received_on=timezone.localdate() - timedelta(days=1),
    )
    portal = portal_submit(type="erasure", email="anna.virtanen@testi.fi", client="10.0.0.1")
    token = token_create(actor=system_actor, user=cast.privacy_officer)[1]
    client = Client(headers={"Authorization": f"Bearer {token}"})

    assert json.loads(client.get(f"/api/v1/requests/{entered.pk}").content)["received_at"] is None
    assert json.loads(client.get(f"/api/v1/requests/{portal.pk}").content)["received_at"] is not None
    out = io.StringIO()
    call_command("dsr", "show", entered.reference, stdout=out)
    assert f"received {entered.received_on.isoformat()}," in out.getvalue()
    out = io.StringIO()
    call_command("dsr", "show", portal.reference, stdout=out)
    assert f"received {timezone.localtime(portal.received_at):%Y-%m-%d %H:%M}," in out.getvalue()


def test_requests_without_a_time_sort_by_their_day(cast, system_actor):
    today = timezone.localdate()
    older = request_create(
        actor=system_actor, type="access", channel="letter", received_on=today - timedelta(days=2)
    )
    newer = request_create(
        actor=system_actor, type="access", channel="letter", received_on=today - timedelta(days=1)
    )
    portal = portal_submit(type="access", email="anna.virtanen@testi.fi", client="10.0.0.1")

    assert list(DataSubjectRequest.objects.all()) == [older, newer, portal]
    body = _login(cast.privacy_officer).get("/requests/").content.decode()
    assert body.index(older.reference) < body.index(newer.reference) < body.index(portal.reference)


def test_the_migration_clears_the_times_that_were_made_up(system_actor):
    migration = __import__(
        "rekisteri.rights.migrations.0003_received_at_only_when_known", fromlist=["clear_invented_times"]
    )
    entered = request_create(actor=system_actor, type="access", channel="letter")
    portal = portal_submit(type="access", email="anna.virtanen@testi.fi", client="10.0.0.1")
    staff_portal = request_create(
        actor=Actor.system("cli:dsr", origin="cli"), type="access", channel="portal", email="a@example.fi"
    )
    # As the earlier schema stored them: every request had the moment it was entered.
    DataSubjectRequest.objects.update(received_at=timezone.now())

    migration.clear_invented_times(apps, None)

    assert DataSubjectRequest.objects.get(pk=entered.pk).received_at is None
    assert DataSubjectRequest.objects.get(pk=staff_portal.pk).received_at is None
    assert DataSubjectRequest.objects.get(pk=portal.pk).received_at is not None
    migration.restore_times(apps, None)
    assert not DataSubjectRequest.objects.filter(received_at__isnull=True).exists()
