import json

import pytest
from django.urls import reverse

from rekisteri.web.tests.conftest import events

pytestmark = pytest.mark.django_db

URL = reverse("web:search")


def test_search_finds_a_person_by_name_and_shows_the_full_page(login, cast, person):
    response = login(cast.sales).get(URL, {"q": "anna virt"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body
    assert "Virtanen, Anna" in body
    assert reverse("web:person_card", args=[person.pk]) in body


def test_as_you_type_search_answers_htmx_with_the_results_fragment_only(login, cast, person):
    response = login(cast.sales).get(URL, {"q": "Virt"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "Virtanen, Anna" in body
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    "query", ["anna.virtanen@testi.fi", "ANNA.VIRTANEN@TESTI.FI", "040 123 4567", "+358401234567"]
)
def test_search_finds_a_person_by_email_or_phone(login, cast, person, query):
    body = login(cast.sales).get(URL, {"q": query}, HTTP_HX_REQUEST="true").content.decode()

    assert "Virtanen, Anna" in body


def test_search_finds_organizations_by_name_and_business_id(login, cast, organization):
    client = login(cast.sales)

    for query in ["Tampereen", "2077474-0", "20774740"]:
        body = client.get(URL, {"q": query}, HTTP_HX_REQUEST="true").content.decode()
        assert reverse("web:organization_detail", args=[organization.pk]) in body, query


def test_a_search_is_audited_with_the_persons_shown_and_never_the_terms(login, cast, person):
    login(cast.sales).get(URL, {"q": "Virtanen"}, HTTP_HX_REQUEST="true")

    [event] = events(action="search", object_type="person")
    assert event.actor_user_id == cast.sales.pk
    assert event.origin == "ui"
    assert event.purpose == "customer_relationship"
    assert json.loads(event.person_ids) == [str(person.pk)]
    assert "Virtanen" not in event.detail


def test_one_character_asks_for_more_and_searches_nothing(login, cast, person):
    body = login(cast.sales).get(URL, {"q": "V"}, HTTP_HX_REQUEST="true").content.decode()

    assert "Virtanen" not in body
    assert "vähintään kaksi merkkiä" in body
    assert events(action="search") == []


def test_search_results_are_paginated(login, cast, system_actor):
    from rekisteri.people.services import person_create

    for number in range(25):
        person_create(actor=system_actor, first_name=f"Ville{number:02d}", last_name="Mäkinen")
    client = login(cast.sales)

    first = client.get(URL, {"q": "Mäkinen"}).content.decode()
    second = client.get(URL, {"q": "Mäkinen", "page": 2}).content.decode()

    assert first.count("Mäkinen, Ville") == 20
    assert second.count("Mäkinen, Ville") == 5
    assert "page=2" in first


def test_staff_whose_role_lacks_the_permission_get_403(login, powerless, person):
    response = login(powerless).get(URL, {"q": "Virtanen"})

    assert response.status_code == 403
    assert "Virtanen" not in response.content.decode()
    assert events(action="search") == []
