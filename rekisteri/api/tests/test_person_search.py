"""GET /api/v1/persons: search by name, e-mail or phone, paginated with a total count."""

from __future__ import annotations

import json

import pytest

from rekisteri.api.tests.conftest import api_events, assert_error
from rekisteri.people.services import person_create
from rekisteri.privacy.services import basis_set


@pytest.fixture
def people(system_actor, person, organization):
    extra = [
        ("Antti", "Virtala", "antti@virtala.fi", "050 111 2222"),
        ("Bertta", "Annala", "", ""),
        ("Cecilia", "Korhonen", "cecilia@korhonen.fi", "+358 44 987 6543"),
        ("Daniel", "Nieminen", "", "09 123 4567"),
    ]
    created = [person]
    for first, last, email, phone in extra:
        created.append(
            person_create(
                actor=system_actor,
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                organization=organization if last == "Korhonen" else None,
            )
        )
    return created


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [f"{p['first_name']} {p['last_name']}" for p in response.json()["items"]]


def test_search_by_name_prefix_matches_first_or_last_name(cast, api_as, people):
    client = api_as(cast.sales)
    assert _names(client.get("/persons", q="ann")) == ["Bertta Annala", "Anna Virtanen"]
    assert _names(client.get("/persons", q="VIRT")) == ["Antti Virtala", "Anna Virtanen"]
    assert _names(client.get("/persons", q="ann virt")) == ["Anna Virtanen"]


def test_search_by_email_ignores_case(cast, api_as, people):
    assert _names(api_as(cast.sales).get("/persons", q="ANNA.Virtanen@TESTI.fi")) == ["Anna Virtanen"]


@pytest.mark.parametrize("query", ["040 123 4567", "0401234567", "+358 40 123 4567", "040-123 4567"])
def test_search_by_phone_in_any_common_format(cast, api_as, people, query):
    response = api_as(cast.sales).get("/persons", q=query)
    assert _names(response) == ["Anna Virtanen"]
    assert response.json()["items"][0]["phone"] == "+358401234567"


def test_search_audits_the_people_shown_but_never_the_search_terms(cast, api_as, people, system_actor):
    # Marketing sees only persons with a direct-marketing basis (people.visibility).
    basis_set(actor=system_actor, person=people[0], purpose="direct_marketing", basis="consent")
    api_as(cast.marketing).get("/persons", q="anna.virtanen@testi.fi")
    [event] = api_events(action="search", object_type="person")
    assert event.actor_user_id == cast.marketing.pk
    assert event.purpose == "direct_marketing"
    assert json.loads(event.person_ids) == [str(people[0].pk)]
    assert "anna" not in (event.detail + event.object_ids).lower()
    assert json.loads(event.detail) == {"results": 1, "total": 1}


def test_the_list_paginates_with_a_total_count(cast, api_as, people):
    client = api_as(cast.sales)
    first = client.get("/persons", limit=2).json()
    second = client.get("/persons", limit=2, offset=2).json()
    last = client.get("/persons", limit=2, offset=4).json()
    assert first["total"] == second["total"] == last["total"] == 5
    assert (second["limit"], second["offset"]) == (2, 2)
    ids = [p["id"] for page in (first, second, last) for p in page["items"]]
    assert len(ids) == len(set(ids)) == 5
    # Names are encrypted, so the list runs newest first.
    assert [p["last_name"] for p in first["items"]] == ["Nieminen", "Korhonen"]
    assert len(api_events(action="list", object_type="person")) == 3


def test_search_results_paginate_too(cast, api_as, people):
    pages = [
        api_as(cast.sales).get("/persons", q="virt", limit=1, offset=offset).json() for offset in (0, 1, 2)
    ]
    assert [page["total"] for page in pages] == [2, 2, 2]  # Antti Virtala, Anna Virtanen
    names = [p["first_name"] for page in pages for p in page["items"]]
    assert sorted(names) == ["Anna", "Antti"]


def test_two_letters_are_a_prefix_and_one_letter_a_whole_word(cast, api_as, people):
    # Two letters read every three-letter prefix they begin: the index itself is unchanged.
    names = _names(api_as(cast.sales).get("/persons", q="an"))
    assert names == ["Bertta Annala", "Antti Virtala", "Anna Virtanen"]
    assert _names(api_as(cast.sales).get("/persons", q="a")) == []


def test_the_list_filters_by_organization(cast, api_as, people, organization):
    body = api_as(cast.sales).get("/persons", organization_id=organization.pk).json()
    assert sorted(p["last_name"] for p in body["items"]) == ["Korhonen", "Virtanen"]
    assert body["total"] == 2
    searched = api_as(cast.sales).get("/persons", q="virt", organization_id=organization.pk)
    assert _names(searched) == ["Anna Virtanen"]  # Antti Virtala has no organization


def test_an_empty_result_is_still_a_page(cast, api_as, people):
    body = api_as(cast.sales).get("/persons", q="Zyzzyva").json()
    assert body == {"items": [], "total": 0, "limit": 50, "offset": 0, "total_capped": False}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": -5}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**30}, "offset"),
        ({"q": "x" * 201}, "q"),
        ({"q": "anna\x00"}, "q"),
    ],
)
def test_bad_paging_or_query_parameters_are_422_naming_the_parameter(cast, api_as, params, field):
    assert_error(api_as(cast.sales).get("/persons", **params), 422, field=field)


def _queries_for(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(path).status_code == 200
    return len(context.captured_queries)


def test_list_pages_cost_the_same_number_of_queries_however_many_rows(
    cast, api_as, system_actor, organization
):
    client = api_as(cast.sales)
    for number in range(2):
        person_create(actor=system_actor, first_name=f"A{number}", last_name="Aho", categories=["student"])
    organization.responsible_staff.set([cast.sales])
    client.get("/persons")  # the token's first use records last_used_at: one extra write
    few = (_queries_for(client, "/persons"), _queries_for(client, "/organizations"))
    for number in range(20):
        person_create(
            actor=system_actor,
            first_name=f"B{number}",
            last_name="Berg",
            categories=["student", "prospect_contact"],
        )
        other = organization.__class__.objects.create(
            name=f"Org {number}", owner_company=organization.owner_company
        )
        other.responsible_staff.set([cast.sales, cast.crm])
    assert (_queries_for(client, "/persons"), _queries_for(client, "/organizations")) == few
