"""GET /api/v1/persons: the person list's filters and sorts, and their bad values."""

from __future__ import annotations

import pytest

from rekisteri.api.tests.conftest import assert_error
from rekisteri.people import selectors
from rekisteri.people.tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    return build_world(cast)


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_every_filter_of_the_list_is_a_query_parameter(cast, api_as, world):
    client = api_as(cast.sales)
    w = world
    cases = [
        ({"organization_id": w.pohjola.pk}, {w.anna, w.ville}),
        ({"category": "student"}, {w.asa, w.orjan}),
        ({"purpose": "direct_marketing", "basis_state": "withdrawn"}, {w.asa}),
        ({"basis": "contract", "basis_state": "upcoming"}, {w.zoe}),
        ({"source_kind": "data_subject"}, {w.asa}),
        ({"owner_company_id": w.defsec.pk}, {w.asa, w.aijo}),
        ({"responsible_id": cast.sales.pk}, {w.anna, w.ville}),
        ({"q": "vi", "category": "prospect_contact"}, {w.ville}),
        ({"q": "@aalto.example"}, {w.asa}),
        ({"q": "+358 40 772"}, {w.anna, w.orjan}),
    ]
    for params, expected in cases:
        assert set(_ids(client.get("/persons", **params))) == {str(p.pk) for p in expected}, params


def test_the_list_sorts_by_name_after_decryption_and_by_dates_in_the_database(cast, api_as, world):
    client = api_as(cast.sales)
    w = world
    assert _ids(client.get("/persons", sort="name")) == [
        str(p.pk) for p in (w.anna, w.ville, w.zoe, w.asa, w.aijo, w.orjan)
    ]
    assert _ids(client.get("/persons", sort="-last_contact"))[:2] == [str(w.zoe.pk), str(w.anna.pk)]
    assert _ids(client.get("/persons", q="virt", sort="-name")) == [str(w.ville.pk), str(w.anna.pk)]
    body = client.get("/persons", sort="name", limit=2, offset=2).json()
    assert [item["last_name"] for item in body["items"]] == ["Zetterberg", "Åberg"]
    assert (body["total"], body["total_capped"]) == (6, False)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"organization_id": 999_999}, "organization_id"),
        ({"organization_id": "abc"}, "organization_id"),
        ({"organization_id": 0}, "organization_id"),
        ({"owner_company_id": 999_999}, "owner_company_id"),
        ({"responsible_id": 999_999}, "responsible_id"),
        ({"category": "vip"}, "category"),
        ({"basis": "whim"}, "basis"),
        ({"basis_state": "forever"}, "basis_state"),
        ({"basis_state": "active"}, "basis_state"),
        ({"source_kind": "rumour"}, "source_kind"),
        ({"purpose": "world_domination"}, "purpose"),
        ({"sort": "shoe_size"}, "sort"),
        ({"sort": "name; DROP TABLE people_person"}, "sort"),
    ],
)
def test_a_bad_filter_or_sort_is_a_422_naming_it(cast, api_as, world, params, field):
    assert_error(api_as(cast.sales).get("/persons", **params), 422, field=field)


def test_sorting_too_long_a_list_by_name_is_a_422_saying_how_to_narrow_it(cast, api_as, world, monkeypatch):
    monkeypatch.setattr(selectors.common, "SORT_LIMIT", 3)
    response = api_as(cast.sales).get("/persons", sort="name")
    assert_error(response, 422, field="sort")
    assert "narrow" in response.json()["detail"]
    assert len(_ids(api_as(cast.sales).get("/persons", sort="name", organization_id=world.pohjola.pk))) == 2


def test_a_total_beyond_the_count_bound_is_flagged(cast, api_as, world, monkeypatch):
    monkeypatch.setattr(selectors.common, "LIST_COUNT_BOUND", 4)
    body = api_as(cast.sales).get("/persons", limit=2).json()
    assert (body["total"], body["total_capped"]) == (4, True)


@pytest.mark.parametrize("value", ["nul\x00", "x" * 65])
def test_a_purpose_that_cannot_be_a_slug_is_a_422_not_a_database_error(cast, api_as, value):
    assert_error(api_as(cast.sales).get("/persons", purpose=value), 422, field="purpose")
