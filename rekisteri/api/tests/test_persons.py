"""/api/v1/persons: create, read, update and delete through the services, audited as "api"."""

from __future__ import annotations

import json
import uuid

import pytest

from rekisteri.api.tests.conftest import api_events, assert_error
from rekisteri.people.models import Person
from rekisteri.privacy.services import basis_set, source_add

NEW_PERSON = {
    "first_name": "Matti",
    "last_name": "Meikäläinen",
    "email": "Matti.Meikalainen@Esimerkki.FI",
    "phone": "040-772 3002",
    "title": "Toimitusjohtaja",
    "categories": ["prospect_contact"],
}


def _assert_ids_only(event, *values: str) -> None:
    stored = json.dumps([event.object_ids, event.person_ids, event.detail])
    for value in values:
        assert value.lower() not in stored.lower()


def test_sales_creates_a_person_with_normalised_contact_details(cast, api_as, organization):
    response = api_as(cast.sales).post("/persons", {**NEW_PERSON, "organization_id": organization.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    person = Person.objects.get(pk=body["id"])
    assert person.email == "Matti.Meikalainen@esimerkki.fi"
    assert person.phone == "+358407723002"
    assert person.organization == organization
    assert person.created_by == cast.sales
    assert body["phone"] == "+358407723002"
    assert body["categories"] == ["prospect_contact"]
    assert body["organization_id"] == organization.pk
    [event] = api_events(action="create", object_type="person")
    assert event.actor_user_id == cast.sales.pk
    assert json.loads(event.person_ids) == [str(person.pk)]
    _assert_ids_only(event, "Matti", "Meikäläinen", "esimerkki", "7723002")


def test_a_person_needs_both_names(cast, api_as):
    response = api_as(cast.sales).post("/persons", {"first_name": "  ", "last_name": "Virtanen"})
    assert_error(response, 422, field="first_name", code="rule_violation")
    assert_error(api_as(cast.sales).post("/persons", {"first_name": "Anna"}), 422, field="last_name")
    assert not Person.objects.exists()


def test_an_invalid_email_or_phone_is_refused_naming_the_field(cast, api_as):
    client = api_as(cast.sales)
    assert_error(client.post("/persons", {**NEW_PERSON, "email": "not an address"}), 422, field="email")
    assert_error(client.post("/persons", {**NEW_PERSON, "phone": "12"}), 422, field="phone")
    assert not Person.objects.exists()
    assert api_events(object_type="person") == []


def test_an_unknown_organization_is_refused_naming_organization_id(cast, api_as):
    response = api_as(cast.sales).post("/persons", {**NEW_PERSON, "organization_id": 999999})
    assert_error(response, 422, field="organization_id")
    assert not Person.objects.exists()


def test_getting_a_person_returns_the_card_and_audits_a_view(cast, api_as, person, system_actor):
    basis_set(actor=system_actor, person=person, purpose="customer_relationship", basis="contract")
    source_add(actor=system_actor, person=person, kind="employer_or_partner")
    response = api_as(cast.crm).get(f"/persons/{person.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["first_name"] == "Anna"
    assert body["phone"] == "+358401234567"
    assert body["categories"] == ["customer_representative"]
    assert body["bases"][0]["purpose"] == "customer_relationship"
    assert body["bases"][0]["basis"] == "contract"
    assert body["sources"][0]["kind"] == "employer_or_partner"
    [event] = api_events(action="view", object_type="person")
    assert event.actor_user_id == cast.crm.pk
    assert event.purpose == "customer_relationship"
    assert json.loads(event.person_ids) == [str(person.pk)]


def test_a_trainer_sees_a_student_but_not_bases_or_sources(cast, api_as, student):
    body = api_as(cast.trainer).get(f"/persons/{student.pk}").json()
    assert body["last_name"] == "Kurssila"
    assert body["bases"] is None
    assert body["sources"] is None
    assert {"bases", "sources", "self_given_info"} <= set(body["withheld"])


def test_an_unknown_person_is_a_404(cast, api_as):
    assert_error(api_as(cast.sales).get(f"/persons/{uuid.uuid4()}"), 404, code="not_found")
    assert api_events(action="view") == []


def test_patch_changes_only_the_fields_sent_and_audits_their_names(cast, api_as, person):
    response = api_as(cast.sales).patch(
        f"/persons/{person.pk}", {"title": "Ostopäällikkö", "phone": "+358 50 123 4567"}
    )
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.title == "Ostopäällikkö"
    assert person.phone == "+358501234567"
    assert person.first_name == "Anna"
    assert response.json()["phone"] == "+358501234567"
    [event] = api_events(action="change", object_type="person")
    assert json.loads(event.detail) == {"fields": ["phone", "title"]}
    _assert_ids_only(event, "Ostopäällikkö", "1234567")


def test_patch_with_null_clears_optional_fields_but_not_names(cast, api_as, person):
    client = api_as(cast.sales)
    response = client.patch(
        f"/persons/{person.pk}", {"organization_id": None, "email": None, "categories": None}
    )
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.organization is None
    assert person.email == ""
    assert not person.categories.exists()
    assert_error(client.patch(f"/persons/{person.pk}", {"last_name": None}), 422, field="last_name")
    person.refresh_from_db()
    assert person.last_name == "Virtanen"


def test_a_refused_patch_changes_nothing(cast, api_as, person):
    response = api_as(cast.sales).patch(f"/persons/{person.pk}", {"title": "Uusi", "email": "broken@"})
    assert_error(response, 422, field="email")
    person.refresh_from_db()
    assert person.title == "Hankintapäällikkö"
    assert api_events(action="change") == []


def test_privacy_officer_deletes_a_person_with_204(cast, api_as, person):
    response = api_as(cast.privacy_officer).delete(f"/persons/{person.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Person.objects.filter(pk=person.pk).exists()
    # Deletion is erasure by key destruction (rekisteri.privacy.erasure).
    [event] = api_events(action="erase", object_type="person")
    assert json.loads(event.person_ids) == [str(person.pk)]
    assert_error(api_as(cast.privacy_officer).delete(f"/persons/{person.pk}"), 404)


@pytest.mark.parametrize(
    ("role", "method", "permission"),
    [
        ("marketing", "POST", "people.add_person"),
        ("marketing", "PATCH", "people.change_person"),
        ("trainer", "POST", "people.add_person"),
        ("trainer", "PATCH", "people.change_person"),
        ("trainer", "DELETE", "people.delete_person"),
        ("sales", "DELETE", "people.delete_person"),
        ("crm", "DELETE", "people.delete_person"),
        ("privacy_officer", "POST", "people.add_person"),
    ],
)
def test_roles_without_the_permission_are_refused_and_nothing_changes(
    cast, api_as, person, role, method, permission
):
    client = api_as(getattr(cast, role))
    path = "/persons" if method == "POST" else f"/persons/{person.pk}"
    response = client.request(method, path, {"first_name": "Eve", "last_name": "Hacker"})
    body = assert_error(response, 403, code="permission_denied")
    assert permission in body["detail"]
    person.refresh_from_db()
    assert person.first_name == "Anna"
    assert Person.objects.count() == 1
    assert api_events(actor_user_id=getattr(cast, role).pk) == []


def test_permission_is_checked_before_the_body(cast, api_as):
    assert_error(api_as(cast.marketing).post("/persons", raw="{not json"), 403, code="permission_denied")
