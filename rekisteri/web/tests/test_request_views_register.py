"""The privacy officer's request register: who may see it, the list, the detail page, registering."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.rights.models import DataSubjectRequest, Status
from rekisteri.rights.services import request_create, request_refuse

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _request(actor, received_on: date | None = None, **fields) -> DataSubjectRequest:
    values = {
        "type": "access",
        "channel": "email",
        "email": "anna.virtanen@testi.fi",
        "name": "Anna Virtanen",
        "details": "Pyydän kaikki tietoni.",
        "verification": "email_known_address",
        **fields,
    }
    return request_create(actor=actor, received_on=received_on, **values)


# --- Permissions ------------------------------------------------------------------------------


def test_only_the_privacy_officer_reaches_the_register(cast, system_actor):
    dsr = _request(system_actor)
    paths = ["/requests/", "/requests/new/", f"/requests/{dsr.pk}/"]
    for path in paths:
        assert login(cast.privacy_officer).get(path).status_code == 200
        for user in (cast.sales, cast.crm, cast.marketing, cast.trainer, cast.admin):
            assert login(user).get(path).status_code == 403, (user.username, path)


def test_staff_without_an_nda_see_nothing_of_a_request(cast, system_actor):
    dsr = _request(system_actor)

    for user in cast.without_access():
        response = login(user).get(f"/requests/{dsr.pk}/")
        assert response.status_code in (302, 403)
        assert b"anna.virtanen" not in response.content
    assert Client().get("/requests/").status_code == 302  # anonymous: to the login page


def test_a_salesperson_cannot_act_on_a_request(cast, system_actor):
    dsr = _request(system_actor)

    response = login(cast.sales).post(f"/requests/{dsr.pk}/withdraw/")

    assert response.status_code == 403
    dsr.refresh_from_db()
    assert dsr.status == Status.NEW


def test_the_navigation_shows_requests_to_the_privacy_officer_only(cast):
    assert 'href="/requests/"' in login(cast.privacy_officer).get("/").content.decode()
    assert 'href="/requests/"' not in login(cast.sales).get("/").content.decode()


# --- The list --------------------------------------------------------------------------------


def test_the_list_marks_overdue_and_due_soon_requests_and_shows_no_personal_values(cast, system_actor):
    today = timezone.localdate()
    overdue = _request(system_actor, received_on=today - timedelta(days=40))
    soon = _request(system_actor, received_on=today - timedelta(days=27))
    later = _request(system_actor, received_on=today)

    response = login(cast.privacy_officer).get("/requests/")

    body = response.content.decode()
    assert response.status_code == 200
    for dsr in (overdue, soon, later):
        assert dsr.reference in body
    assert body.count('class="row--overdue"') == 1
    assert body.count('class="row--soon"') == 1
    assert body.index(overdue.reference) < body.index(soon.reference) < body.index(later.reference)
    assert "anna.virtanen" not in body and "Pyydän" not in body
    [event] = AuditEvent.objects.filter(action="list", object_type="rights_request")
    assert sorted(json.loads(event.object_ids)) == sorted(str(r.pk) for r in (overdue, soon, later))


def test_the_list_filters_overdue_due_soon_type_and_closed(cast, system_actor):
    today = timezone.localdate()
    overdue = _request(system_actor, received_on=today - timedelta(days=40))
    soon = _request(system_actor, received_on=today - timedelta(days=27), type="erasure")
    closed = _request(system_actor)
    request_refuse(actor=system_actor, request=closed, kind="manifestly_unfounded", reason="Toistuva.")
    client = login(cast.privacy_officer)

    def references(query: str) -> set[str]:
        body = client.get(f"/requests/?{query}").content.decode()
        return {r.reference for r in (overdue, soon, closed) if r.reference in body}

    assert references("") == {overdue.reference, soon.reference}
    assert references("due=overdue") == {overdue.reference}
    assert references("due=soon") == {soon.reference}
    assert references("type=erasure") == {soon.reference}
    assert references("state=closed") == {closed.reference}
    assert references("state=all") == {overdue.reference, soon.reference, closed.reference}


def test_the_list_is_paginated(cast, system_actor):
    for _ in range(27):
        _request(system_actor)
    client = login(cast.privacy_officer)

    first = client.get("/requests/").content.decode()
    second = client.get("/requests/?page=2").content.decode()

    assert first.count('<th scope="row">') == 25
    assert second.count('<th scope="row">') == 2
    assert 'rel="next"' in first


def test_a_bad_filter_value_is_a_form_error_not_a_crash(cast):
    response = login(cast.privacy_officer).get("/requests/?due=tomorrow")

    assert response.status_code == 200
    assert 'id="id_due_error"' in response.content.decode()


# --- The detail page ---------------------------------------------------------------------------


def test_the_detail_shows_the_decrypted_request_and_audits_the_view(cast, system_actor, person):
    dsr = _request(system_actor)

    response = login(cast.privacy_officer).get(f"/requests/{dsr.pk}/")

    body = response.content.decode()
    assert "anna.virtanen@testi.fi" in body and "Anna Virtanen" in body and "Pyydän kaikki" in body
    assert dsr.due_on.strftime("%-d.%-m.%Y") in body
    assert f"/people/{person.pk}/" in body
    [event] = AuditEvent.objects.filter(action="view", object_type="rights_request")
    assert event.actor_user_id == cast.privacy_officer.pk
    assert json.loads(event.object_ids) == [str(dsr.pk)]
    assert json.loads(event.person_ids) == [str(person.pk)]
    assert "anna" not in event.detail.lower()


def test_the_detail_shows_the_history_from_the_audit_trail(cast, system_actor):
    dsr = _request(system_actor, verification="")
    other = _request(system_actor)
    client = login(cast.privacy_officer)
    client.post(f"/requests/{dsr.pk}/verify/", {"method": "phone_callback", "note": "Soitettu takaisin."})
    client.post(f"/requests/{other.pk}/withdraw/")

    body = client.get(f"/requests/{dsr.pk}/").content.decode()

    history = body[body.index('id="history-heading"') :]
    assert (
        "Pyyntö kirjattiin (saapumistapa: Sähköposti); henkilöllisyyttä ei ole vielä varmistettu." in history
    )
    assert "Henkilöllisyys varmistettiin: Soitettu takaisin rekisterissä olevaan numeroon." in history
    assert "Pyytäjä perui pyynnön." not in history  # another request's event
    assert cast.privacy_officer.username in history
    assert "phone_callback" not in history and "verified:" not in history


def test_an_unknown_request_is_404(cast):
    response = login(cast.privacy_officer).get("/requests/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404


def test_a_closed_request_offers_no_actions(cast, system_actor):
    dsr = _request(system_actor)
    request_refuse(actor=system_actor, request=dsr, kind="other", reason="Ei perusteita.")

    body = login(cast.privacy_officer).get(f"/requests/{dsr.pk}/").content.decode()

    assert 'id="actions-heading"' not in body
    assert "Ei perusteita." in body


# --- Registering a request that came by e-mail, phone or letter ------------------------------------


def test_registering_a_letter_request_with_its_identity_check(cast, person):
    received = timezone.localdate() - timedelta(days=3)

    response = login(cast.privacy_officer).post(
        "/requests/new/",
        {
            "type": "erasure",
            "channel": "letter",
            "received_on": received.isoformat(),
            "email": "",
            "name": "Anna Virtanen",
            "details": "Poistakaa tietoni.",
            "language": "fi",
            "verification": "id_document",
            "verification_note": "Passi tarkistettu.",
        },
    )

    dsr = DataSubjectRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/requests/{dsr.pk}/"
    assert (dsr.type, dsr.channel, dsr.received_on, dsr.status) == ("erasure", "letter", received, Status.NEW)
    assert dsr.verification == "id_document" and dsr.verified_at is not None
    assert dsr.requester_name == "Anna Virtanen"
    assert dsr.verification_note == "Passi tarkistettu."
    [event] = AuditEvent.objects.filter(action="create", object_type="rights_request")
    assert event.actor_user_id == cast.privacy_officer.pk


def test_a_request_registered_without_verification_waits_for_it(cast):
    response = login(cast.privacy_officer).post(
        "/requests/new/",
        {
            "type": "access",
            "channel": "phone",
            "received_on": timezone.localdate().isoformat(),
            "name": "Soittaja",
            "language": "en",
            "verification": "",
        },
    )

    assert response.status_code == 302
    dsr = DataSubjectRequest.objects.get()
    assert dsr.status == Status.AWAITING_VERIFICATION
    assert dsr.language == "en"


def test_an_email_request_needs_the_address(cast):
    response = login(cast.privacy_officer).post(
        "/requests/new/",
        {
            "type": "access",
            "channel": "email",
            "received_on": timezone.localdate().isoformat(),
            "language": "fi",
        },
    )

    assert response.status_code == 200
    assert 'id="id_email_error"' in response.content.decode()
    assert not DataSubjectRequest.objects.exists()


def test_a_request_cannot_be_received_in_the_future(cast):
    response = login(cast.privacy_officer).post(
        "/requests/new/",
        {
            "type": "access",
            "channel": "letter",
            "received_on": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "language": "fi",
        },
    )

    assert response.status_code == 200
    assert 'id="id_received_on_error"' in response.content.decode()
    assert not DataSubjectRequest.objects.exists()


def test_the_portal_channel_is_not_offered_to_staff(cast):
    response = login(cast.privacy_officer).post(
        "/requests/new/",
        {
            "type": "access",
            "channel": "portal",
            "email": "x@example.fi",
            "received_on": timezone.localdate().isoformat(),
            "language": "fi",
        },
    )

    assert 'id="id_channel_error"' in response.content.decode()
    assert not DataSubjectRequest.objects.exists()
