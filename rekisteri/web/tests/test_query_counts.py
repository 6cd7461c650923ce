"""List pages cost a fixed number of queries, however many rows they show."""

import pytest
from django.urls import reverse

from rekisteri.contacts.services import interaction_create
from rekisteri.people.services import person_create

pytestmark = pytest.mark.django_db


def _people(system_actor, organization, count, start=0):
    return [
        person_create(
            actor=system_actor,
            first_name=f"Ville{n:02d}",
            last_name="Mäkinen",
            organization=organization,
            phone=f"040 555 {1000 + n}",
            categories=["student"],
        )
        for n in range(start, start + count)
    ]


def _queries(client, url, django_assert_max_num_queries, limit, **extra):
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(url, **extra).status_code == 200
    return len(captured)


def test_search_costs_the_same_for_two_results_as_for_twenty(
    login, cast, organization, system_actor, django_assert_max_num_queries
):
    client = login(cast.sales)
    _people(system_actor, organization, 2)
    few = _queries(client, reverse("web:search") + "?q=Mäkinen", django_assert_max_num_queries, 30)
    _people(system_actor, organization, 18, start=2)
    many = _queries(client, reverse("web:search") + "?q=Mäkinen", django_assert_max_num_queries, 30)

    assert many == few


def test_the_organization_page_costs_the_same_for_two_people_as_for_twenty(
    login, cast, organization, system_actor, django_assert_max_num_queries
):
    client = login(cast.sales)
    url = reverse("web:organization_detail", args=[organization.pk])
    _people(system_actor, organization, 2)
    few = _queries(client, url, django_assert_max_num_queries, 30)
    _people(system_actor, organization, 18, start=2)
    many = _queries(client, url, django_assert_max_num_queries, 30)

    assert many == few


def test_the_card_costs_the_same_for_two_interactions_as_for_twenty(
    login, cast, person, system_actor, django_assert_max_num_queries
):
    client = login(cast.sales)
    url = reverse("web:person_card", args=[person.pk])
    for n in range(2):
        interaction_create(actor=system_actor, person=person, kind="note", text=f"Merkintä {n}")
    few = _queries(client, url, django_assert_max_num_queries, 30)
    for n in range(18):
        interaction_create(actor=system_actor, person=person, kind="note", text=f"Merkintä {n}")
    many = _queries(client, url, django_assert_max_num_queries, 30)

    assert many == few


@pytest.mark.parametrize(
    "params",
    [
        "",
        "?sort=name",
        "?sort=-last_contact&category=student",
        "?sort=organization",
        "?q=Mä&sort=name",
        "?q=040 555",
    ],
)
def test_the_person_list_costs_the_same_for_two_people_as_for_twenty(
    login, cast, organization, system_actor, django_assert_max_num_queries, params
):
    client = login(cast.sales)
    url = reverse("web:person_list") + params
    _people(system_actor, organization, 2)
    few = _queries(client, url, django_assert_max_num_queries, 30)
    _people(system_actor, organization, 18, start=2)
    many = _queries(client, url, django_assert_max_num_queries, 30)

    assert many == few
