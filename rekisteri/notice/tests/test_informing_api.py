"""/api/v1/source-information: the Art. 14 list and actions of /privacy/information/ over the API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.accounts.services import token_create
from rekisteri.audit.models import AuditEvent
from rekisteri.lib.deadlines import add_months
from rekisteri.notice.models import SourceInformation
from rekisteri.outbox.models import OutgoingMail
from rekisteri.people.models import Person
from rekisteri.people.services import person_create
from rekisteri.privacy.services import source_add

pytestmark = pytest.mark.django_db

URL = "/api/v1/source-information"


def _api(user, system_actor) -> Client:
    raw = token_create(actor=system_actor, user=user, name="t")[1]
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _post(client: Client, path: str, body: dict | None = None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def officer(cast, system_actor):
    return _api(cast.privacy_officer, system_actor)


@pytest.fixture
def due(system_actor, person, organization):
    """Anna (with an address, overdue) and Pekka (no address, due later)."""
    today = timezone.localdate()
    old = today - timedelta(days=40)
    source_add(actor=system_actor, person=person, kind="employer_or_partner", obtained_on=old)
    source_add(actor=system_actor, person=person, kind="data_subject", obtained_on=old)
    pekka = person_create(
        actor=system_actor, first_name="Pekka", last_name="Posti", organization=organization
    )
    source_add(actor=system_actor, person=pekka, kind="asiakastieto", obtained_on=today, report_date=today)
    return person, pekka


def test_the_list_names_who_is_due_by_id_kind_and_date_overdue_first(officer, due):
    anna, pekka = due
    response = officer.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["overdue_total"]) == (2, 1)
    first, second = body["items"]
    assert first["person_id"] == str(anna.pk) and first["overdue"] is True
    assert first["kinds"] == ["employer_or_partner"]  # the person's own data needs no Art. 14
    assert first["due_on"] == add_months(timezone.localdate() - timedelta(days=40), 1).isoformat()
    assert (first["has_email"], first["restricted"]) == (True, False)
    assert second["person_id"] == str(pekka.pk) and second["has_email"] is False
    # Ids, kinds and dates only: no name, no address.
    text = response.content.decode()
    assert "Anna" not in text and "Pekka" not in text and "@" not in text
    assert [item["person_id"] for item in officer.get(URL, {"overdue": "true"}).json()["items"]] == [
        str(anna.pk)
    ]
    page = officer.get(URL, {"limit": 1, "offset": 1}).json()
    assert [item["person_id"] for item in page["items"]] == [str(pekka.pk)] and page["total"] == 2
    event = AuditEvent.objects.filter(action="list", object_type="person").latest("seq")
    assert json.loads(event.detail)["page"] == "source_information"


def test_sending_one_mails_the_person_and_records_each_collection(officer, due):
    anna, _ = due
    response = _post(officer, f"{URL}/{anna.pk}/send")
    assert response.status_code == 200
    [informed] = response.json()["informed"]
    mail = OutgoingMail.objects.get(kind="source_information")
    assert (informed["kind"], informed["channel"], informed["mail_id"]) == (
        "employer_or_partner",
        "email",
        str(mail.pk),
    )
    assert SourceInformation.objects.get().person_id == anna.pk
    again = _post(officer, f"{URL}/{anna.pk}/send")
    assert again.status_code == 422 and again.json()["code"] == "rule_violation"
    assert again.json()["errors"][0]["field"] == "person_id"


def test_sending_to_someone_without_an_address_or_restricted_or_unknown_is_refused(officer, due):
    anna, pekka = due
    no_address = _post(officer, f"{URL}/{pekka.pk}/send")
    assert no_address.status_code == 422 and "no e-mail address" in no_address.json()["detail"]
    Person.objects.filter(pk=anna.pk).update(restricted_at=timezone.now())
    restricted = _post(officer, f"{URL}/{anna.pk}/send")
    assert restricted.status_code == 409 and restricted.json()["code"] == "restricted"
    assert _post(officer, f"{URL}/00000000-0000-7000-8000-000000000000/send").status_code == 404
    assert _post(officer, f"{URL}/not-a-uuid/send").status_code == 404
    assert not OutgoingMail.objects.exists() and not SourceInformation.objects.exists()


def test_sending_to_everyone_due_reports_by_id_and_a_dry_run_sends_nothing(officer, due):
    anna, pekka = due
    dry = _post(officer, f"{URL}/send-due", {"dry_run": True})
    assert dry.status_code == 200
    assert dry.json() == {
        "dry_run": True,
        "sent": [str(anna.pk)],
        "no_address": [str(pekka.pk)],
        "restricted": [],
    }
    assert not OutgoingMail.objects.exists()
    done = _post(officer, f"{URL}/send-due").json()
    assert done["sent"] == [str(anna.pk)] and done["dry_run"] is False
    assert OutgoingMail.objects.filter(kind="source_information", person_id=anna.pk).count() == 1
    assert [item["person_id"] for item in officer.get(URL).json()["items"]] == [str(pekka.pk)]


@pytest.mark.parametrize("value", [0, 1, "false", "yes", None])
def test_a_dry_run_flag_that_is_not_a_boolean_is_refused_and_nothing_is_sent(officer, due, value):
    refused = _post(officer, f"{URL}/send-due", {"dry_run": value})

    assert refused.status_code == 422 and refused.json()["code"] == "validation_error"
    assert not OutgoingMail.objects.exists() and not SourceInformation.objects.exists()


def test_information_given_by_post_or_in_person_is_recorded(officer, due):
    _, pekka = due
    assert _post(officer, f"{URL}/{pekka.pk}/record", {"channel": "email"}).status_code == 422
    response = _post(officer, f"{URL}/{pekka.pk}/record", {"channel": "in_person"})
    assert response.status_code == 201
    [informed] = response.json()["informed"]
    assert (informed["kind"], informed["channel"], informed["mail_id"]) == ("asiakastieto", "in_person", None)
    again = _post(officer, f"{URL}/{pekka.pk}/record", {"channel": "post"})
    assert again.status_code == 422 and again.json()["code"] == "rule_violation"
    event = AuditEvent.objects.filter(object_type="source_information").latest("seq")
    assert json.loads(event.detail)["channel"] == "in_person" and event.origin == "api"


@pytest.mark.parametrize("role", ["sales", "crm", "marketing", "trainer", "admin"])
def test_other_roles_are_refused_as_on_the_page(cast, system_actor, due, role):
    client = _api(getattr(cast, role), system_actor)
    anna, _ = due
    for response in (
        client.get(URL),
        _post(client, f"{URL}/send-due"),
        _post(client, f"{URL}/{anna.pk}/send"),
        _post(client, f"{URL}/{anna.pk}/record", {"channel": "post"}),
    ):
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not OutgoingMail.objects.exists()
