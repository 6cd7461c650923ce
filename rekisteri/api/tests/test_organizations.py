"""/api/v1/organizations: business IDs are checked, writes are audited, roles are respected."""

from __future__ import annotations

import json

import pytest

from rekisteri.api.tests.conftest import api_events, assert_error
from rekisteri.organizations.models import Organization
from rekisteri.privacy.models import GroupCompany


def test_an_invalid_y_tunnus_is_refused_naming_business_id(cast, api_as):
    response = api_as(cast.sales).post("/organizations", {"name": "Väärä Oy", "business_id": "1234567-8"})
    body = assert_error(response, 422, field="business_id", code="rule_violation")
    assert "business_id" in body["detail"]
    # The rule and the value sent, not an example that might be the same wrong value.
    assert "check digit of the business ID (Y-tunnus) 1234567-8 does not match" in body["detail"]
    assert not Organization.objects.filter(name="Väärä Oy").exists()


def test_a_valid_y_tunnus_is_accepted_even_when_a_group_company_has_it(cast, api_as):
    # The controller itself is seeded as a GroupCompany; uniqueness applies among organizations only.
    response = api_as(cast.sales).post(
        "/organizations",
        {"name": "Oikea Oy", "business_id": "0154088-5", "city": "Helsinki", "status": "customer"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    organization = Organization.objects.get(pk=body["id"])
    assert organization.business_id == "0154088-5"
    assert organization.owner_company == GroupCompany.objects.get(is_controller=True)
    assert body["owner_company_id"] == organization.owner_company_id
    assert body["status"] == "customer"
    [event] = api_events(action="create", object_type="organization")
    assert json.loads(event.object_ids) == [str(organization.pk)]
    assert event.actor_user_id == cast.sales.pk


def test_a_business_id_in_compact_form_is_stored_canonically(cast, api_as):
    response = api_as(cast.sales).post("/organizations", {"name": "Kompakti Oy", "business_id": "01540885"})
    assert response.status_code == 201, response.content
    assert response.json()["business_id"] == "0154088-5"


def test_a_second_organization_with_the_same_business_id_is_refused(cast, api_as, organization):
    response = api_as(cast.sales).post("/organizations", {"name": "Kopio Oy", "business_id": "2077474-0"})
    assert_error(response, 422, field="business_id")


def test_a_foreign_business_id_needs_its_country(cast, api_as):
    client = api_as(cast.sales)
    response = client.post(
        "/organizations", {"name": "Svensk AB", "business_id": "SE556703748501", "business_id_country": "se"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["business_id_country"] == "SE"
    assert_error(
        client.post("/organizations", {"name": "X", "business_id_country": "SWE"}),
        422,
        field="business_id_country",
    )


def test_listing_organizations_paginates_and_audits_the_ids_shown(cast, api_as, organization):
    client = api_as(cast.marketing)
    for name in ("Alfa Oy", "Beta Oy", "Gamma Oy"):
        Organization.objects.create(name=name, owner_company=organization.owner_company)
    response = client.get("/organizations", limit=2, offset=1)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 4
    assert (body["limit"], body["offset"]) == (2, 1)
    assert [item["name"] for item in body["items"]] == ["Beta Oy", "Gamma Oy"]
    [event] = api_events(action="list", object_type="organization")
    assert sorted(json.loads(event.object_ids)) == sorted(str(item["id"]) for item in body["items"])


def test_searching_organizations_by_name_prefix_or_business_id(cast, api_as, organization):
    client = api_as(cast.sales)
    assert [o["id"] for o in client.get("/organizations", q="tampereen").json()["items"]] == [organization.pk]
    assert [o["id"] for o in client.get("/organizations", q="20774740").json()["items"]] == [organization.pk]
    assert client.get("/organizations", q="Nokia").json()["total"] == 0
    [event, *_] = api_events(action="search", object_type="organization")
    assert "tampere" not in event.detail.lower()


def test_get_returns_one_organization_and_audits_a_view(cast, api_as, organization):
    response = api_as(cast.trainer).get(f"/organizations/{organization.pk}")
    assert response.status_code == 200
    assert response.json()["business_id"] == "2077474-0"
    [event] = api_events(action="view", object_type="organization")
    assert json.loads(event.object_ids) == [str(organization.pk)]
    assert_error(api_as(cast.trainer).get("/organizations/999999"), 404, code="not_found")


def test_patch_changes_fields_and_responsible_staff(cast, api_as, organization):
    response = api_as(cast.crm).patch(
        f"/organizations/{organization.pk}",
        {"city": "Turku", "responsible_staff_ids": [cast.sales.pk, cast.crm.pk]},
    )
    assert response.status_code == 200, response.content
    organization.refresh_from_db()
    assert organization.city == "Turku"
    assert set(organization.responsible_staff.all()) == {cast.sales, cast.crm}
    assert response.json()["responsible_staff_ids"] == sorted([cast.sales.pk, cast.crm.pk])
    [event] = api_events(action="change", object_type="organization")
    assert json.loads(event.detail) == {"fields": ["city", "responsible_staff"]}


def test_responsible_staff_must_be_staff(cast, api_as, organization):
    response = api_as(cast.crm).patch(
        f"/organizations/{organization.pk}", {"responsible_staff_ids": [cast.outsider.pk, 99999]}
    )
    assert_error(response, 422, field="responsible_staff_ids")
    assert not organization.responsible_staff.exists()


def test_put_replaces_the_whole_organization(cast, api_as, organization):
    response = api_as(cast.sales).put(f"/organizations/{organization.pk}", {"name": "Uusi Nimi Oy"})
    assert response.status_code == 200, response.content
    organization.refresh_from_db()
    assert organization.name == "Uusi Nimi Oy"
    assert organization.business_id == ""
    assert organization.city == ""
    assert organization.status == "prospect"
    assert_error(
        api_as(cast.sales).put(f"/organizations/{organization.pk}", {"city": "Oulu"}), 422, field="name"
    )


def test_an_unknown_owner_company_is_refused_naming_owner_company_id(cast, api_as, organization):
    response = api_as(cast.sales).patch(f"/organizations/{organization.pk}", {"owner_company_id": 424242})
    assert_error(response, 422, field="owner_company_id")


def test_crm_deletes_an_organization_and_its_people_stay(cast, api_as, organization, person):
    response = api_as(cast.crm).delete(f"/organizations/{organization.pk}")
    assert response.status_code == 204
    assert not Organization.objects.filter(pk=organization.pk).exists()
    person.refresh_from_db()
    assert person.organization is None
    [event] = api_events(action="delete", object_type="organization")
    assert json.loads(event.object_ids) == [str(organization.pk)]


@pytest.mark.parametrize(
    ("role", "method", "permission"),
    [
        ("marketing", "POST", "organizations.add_organization"),
        ("trainer", "PATCH", "organizations.change_organization"),
        ("privacy_officer", "PUT", "organizations.change_organization"),
        ("sales", "DELETE", "organizations.delete_organization"),
        ("trainer", "DELETE", "organizations.delete_organization"),
    ],
)
def test_roles_without_the_permission_cannot_write_organizations(
    cast, api_as, organization, role, method, permission
):
    path = "/organizations" if method == "POST" else f"/organizations/{organization.pk}"
    body = assert_error(
        api_as(getattr(cast, role)).request(method, path, {"name": "Hijacked"}), 403, code="permission_denied"
    )
    assert permission in body["detail"]
    organization.refresh_from_db()
    assert organization.name == "Tampereen Testi Oy"
