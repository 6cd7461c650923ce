import json

import pytest
from django.urls import reverse

from rekisteri.organizations.models import Organization
from rekisteri.web.tests.conftest import events

pytestmark = pytest.mark.django_db

NEW = reverse("web:organization_new")


def _data(**changes):
    data = {
        "name": "Insta Testi Oy",
        "business_id": "0154088-5",
        "business_id_country": "FI",
        "street_address": "Sarankulmankatu 20",
        "postal_code": "33900",
        "city": "Tampere",
        "country": "FI",
        "status": "customer",
    }
    data.update(changes)
    return data


def _with_owner(data):
    from rekisteri.organizations.services import default_owner_company

    return {**data, "owner_company": default_owner_company().pk}


def test_an_invalid_business_id_is_a_form_error_and_nothing_is_saved(login, cast):
    count = Organization.objects.count()

    response = login(cast.sales).post(NEW, _with_owner(_data(business_id="1234567-8")))

    body = response.content.decode()
    assert response.status_code == 200
    # The rule and the user's own value; no example that could be the same wrong value.
    assert "Y-tunnuksen 1234567-8 tarkistusnumero ei täsmää: tarkista numerot." in body
    assert "muotoa 1234567" not in body
    assert 'id="id_business_id_error"' in body
    assert Organization.objects.count() == count
    assert events(action="create", object_type="organization") == []


def test_the_help_gives_a_valid_example_and_a_malformed_id_is_named_in_the_error(login, cast):
    from rekisteri.lib.normalize import normalize_business_id

    form = login(cast.sales).get(NEW).content.decode()
    response = login(cast.sales).post(NEW, _with_owner(_data(business_id="123456-7")))

    assert "Y-tunnus on muotoa 0154088-5." in form
    assert normalize_business_id("0154088-5") == "0154088-5"
    body = response.content.decode()
    assert "”123456-7” ei ole Y-tunnuksen muotoinen" in body
    assert "esimerkiksi 0154088-5" in body


def test_the_business_id_error_is_in_english_after_switching(login, cast):
    client = login(cast.sales)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    body = client.post(NEW, _with_owner(_data(business_id="1234567-8"))).content.decode()

    assert "The check digit of the business ID (Y-tunnus) 1234567-8 does not match" in body


def test_a_valid_business_id_is_accepted_and_the_organization_saved(login, cast):
    response = login(cast.sales).post(NEW, _with_owner(_data()))

    organization = Organization.objects.get(name="Insta Testi Oy")
    assert response.status_code == 302
    assert response.url == reverse("web:organization_detail", args=[organization.pk])
    assert organization.business_id == "0154088-5"
    assert len(events(action="create", object_type="organization")) == 1


def test_a_duplicate_business_id_is_reported_on_the_field(login, cast, organization):
    response = login(cast.sales).post(NEW, _with_owner(_data(business_id="2077474-0")))

    assert "Toisella organisaatiolla on jo tämä Y-tunnus" in response.content.decode()
    assert not Organization.objects.filter(name="Insta Testi Oy").exists()


def test_the_organization_page_lists_its_people_and_responsible_staff_and_audits_the_list(
    login, cast, organization, person
):
    organization.responsible_staff.add(cast.crm)

    response = login(cast.sales).get(reverse("web:organization_detail", args=[organization.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Virtanen, Anna" in body
    assert "cecilia.crm" in body
    [event] = events(action="list", object_type="person")
    assert json.loads(event.person_ids) == [str(person.pk)]


def test_editors_set_the_responsible_staff(login, cast, organization):
    url = reverse("web:organization_responsible", args=[organization.pk])

    response = login(cast.crm).post(url, {"responsible_staff": [cast.sales.pk, cast.crm.pk]})

    assert response.status_code == 302
    assert set(organization.responsible_staff.all()) == {cast.sales, cast.crm}
    assert (
        "responsible_staff"
        in json.loads(events(action="change", object_type="organization")[0].detail)["fields"]
    )


def test_only_staff_with_a_profile_can_be_made_responsible(login, cast, organization):
    url = reverse("web:organization_responsible", args=[organization.pk])

    login(cast.crm).post(url, {"responsible_staff": [cast.outsider.pk]})

    assert organization.responsible_staff.count() == 0


def test_a_role_without_change_permission_cannot_set_responsible_staff(login, cast, organization):
    url = reverse("web:organization_responsible", args=[organization.pk])

    assert login(cast.marketing).post(url, {"responsible_staff": [cast.sales.pk]}).status_code == 403
    assert organization.responsible_staff.count() == 0


def test_editing_an_organization_refuses_an_invalid_business_id(login, cast, organization):
    url = reverse("web:organization_edit", args=[organization.pk])
    client = login(cast.sales)
    assert client.get(url).status_code == 200

    response = client.post(url, _with_owner(_data(name="Uusi nimi Oy", business_id="1234567-8")))

    assert response.status_code == 200
    organization.refresh_from_db()
    assert organization.name == "Tampereen Testi Oy"
    assert (
        client.post(url, _with_owner(_data(name="Uusi nimi Oy", business_id="2077474-0"))).status_code == 302
    )
    organization.refresh_from_db()
    assert organization.name == "Uusi nimi Oy"


def test_the_organization_list_is_paginated(login, cast, system_actor):
    from rekisteri.organizations.services import organization_create

    for number in range(30):
        organization_create(actor=system_actor, name=f"Yritys {number:02d} Oy")
    client = login(cast.sales)

    first = client.get(reverse("web:organizations")).content.decode()
    second = client.get(reverse("web:organizations") + "?page=2").content.decode()

    assert first.count("Yritys ") == 25
    assert second.count("Yritys ") == 5


def test_suggestions_offer_matching_organizations_for_the_person_form(login, cast, organization):
    body = (
        login(cast.sales).get(reverse("web:organization_suggest"), {"organization": "Tamp"}).content.decode()
    )

    assert '<option value="Tampereen Testi Oy (2077474-0)">' in body


def test_roles_without_permission_get_403(login, cast, powerless, organization):
    assert login(cast.privacy_officer).get(NEW).status_code == 403
    assert (
        login(cast.trainer).get(reverse("web:organization_edit", args=[organization.pk])).status_code == 403
    )
    assert login(powerless).get(reverse("web:organization_detail", args=[organization.pk])).status_code == 403
    assert login(powerless).get(reverse("web:organizations")).status_code == 403


def test_an_unknown_organization_is_404(login, cast):
    assert login(cast.sales).get(reverse("web:organization_detail", args=[999999])).status_code == 404
