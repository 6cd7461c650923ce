"""The person list at /people/: search, filters, order, pages, and the dashboard's way there."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from rekisteri.people import selectors
from rekisteri.people.tests.world import build_world
from rekisteri.web.tests.conftest import events

pytestmark = pytest.mark.django_db

URL = reverse("web:person_list")


@pytest.fixture
def world(cast):
    return build_world(cast)


def names(response) -> list[str]:
    """The persons listed, in order, as "Last, First"."""
    assert response.status_code == 200
    body = response.content.decode()
    return re.findall(r'<th scope="row"><a href="/people/[0-9a-f-]+/">([^<]+)</a>', body)


def test_the_list_shows_everybody_newest_first_as_a_full_page(login, cast, world):
    response = login(cast.sales).get(URL)

    assert "<html" in response.content.decode()
    assert names(response) == [
        "Ärölä, Äijö",
        "Zetterberg, Zoe",
        "Öhman, Örjan",
        "Åberg, Åsa",
        "Virtanen, Ville",
        "Virtanen, Anna",
    ]


def test_htmx_requests_get_the_results_fragment_only(login, cast, world):
    response = login(cast.sales).get(URL, {"category": "student"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "<html" not in body and "<form" not in body
    assert names(response) == ["Öhman, Örjan", "Åberg, Åsa"]
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "student"}, ["Öhman, Örjan", "Åberg, Åsa"]),
        ({"source_kind": "public_source"}, ["Virtanen, Ville"]),
        ({"purpose": "direct_marketing", "basis_state": "withdrawn"}, ["Åberg, Åsa"]),
        ({"basis": "contract", "basis_state": "upcoming"}, ["Zetterberg, Zoe"]),
        ({"basis_state": "missing"}, ["Ärölä, Äijö"]),
        ({"organization": "Pohjolan Data Oy"}, ["Virtanen, Ville", "Virtanen, Anna"]),
        ({"q": "Vi"}, ["Virtanen, Anna", "Virtanen, Ville"]),
        ({"q": "040 772"}, ["Virtanen, Anna", "Öhman, Örjan"]),
        ({"q": "@aalto.example"}, ["Åberg, Åsa"]),
    ],
)
def test_each_filter_and_search_narrows_the_list(login, cast, world, params, expected):
    assert names(login(cast.sales).get(URL, params)) == expected


def test_group_company_and_responsible_staff_filter_by_the_organization(login, cast, world):
    client = login(cast.sales)
    assert names(client.get(URL, {"owner_company": world.defsec.pk})) == ["Ärölä, Äijö", "Åberg, Åsa"]
    assert names(client.get(URL, {"responsible": cast.sales.pk})) == ["Virtanen, Ville", "Virtanen, Anna"]


def test_a_link_from_the_organization_page_filters_by_its_id_and_shows_its_name(login, cast, world):
    detail = (
        login(cast.sales).get(reverse("web:organization_detail", args=[world.pohjola.pk])).content.decode()
    )
    assert f"{URL}?organization={world.pohjola.pk}" in detail

    response = login(cast.sales).get(URL, {"organization": world.pohjola.pk})
    assert names(response) == ["Virtanen, Ville", "Virtanen, Anna"]
    assert 'value="Pohjolan Data Oy (#' in response.content.decode()


def test_the_list_sorts_by_name_in_finnish_order_and_the_header_links_reverse_it(login, cast, world):
    response = login(cast.sales).get(URL, {"sort": "name"})

    assert names(response) == [
        "Virtanen, Anna",
        "Virtanen, Ville",
        "Zetterberg, Zoe",
        "Åberg, Åsa",
        "Ärölä, Äijö",
        "Öhman, Örjan",
    ]
    body = response.content.decode()
    assert 'aria-sort="ascending" class="col-name"' in body
    assert "?sort=-name" in body
    assert names(login(cast.sales).get(URL, {"sort": "-name"}))[0] == "Öhman, Örjan"


@pytest.mark.parametrize(
    ("sort", "first"),
    [("-last_contact", "Zetterberg, Zoe"), ("organization", None), ("created", "Virtanen, Anna")],
)
def test_the_list_sorts_by_last_contact_organization_and_date_added(login, cast, world, sort, first):
    listed = names(login(cast.sales).get(URL, {"sort": sort}))
    assert len(listed) == 6
    if first:
        assert listed[0] == first
    else:
        assert set(listed[:2]) == {"Åberg, Åsa", "Ärölä, Äijö"}  # Aalto Koulutus Oy first


def test_too_long_a_list_to_sort_by_name_is_shown_in_the_default_order_with_a_notice(
    login, cast, world, monkeypatch
):
    monkeypatch.setattr(selectors.common, "SORT_LIMIT", 3)
    response = login(cast.sales).get(URL, {"sort": "name"})

    assert names(response)[0] == "Ärölä, Äijö"  # newest first
    assert "enintään 3" in response.content.decode()


def test_a_one_letter_search_asks_for_two(login, cast, world):
    body = login(cast.sales).get(URL, {"q": "V"}).content.decode()
    assert "Kirjoita vähintään kaksi merkkiä." in body
    assert "Virtanen" not in body


def test_an_unknown_organization_is_a_form_error_and_lists_nobody(login, cast, world):
    response = login(cast.sales).get(URL, {"organization": "Ei Ole Oy"})

    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert names(response) == []


def test_the_list_paginates(login, cast, world, monkeypatch):
    monkeypatch.setattr("rekisteri.web.views.person_list.PAGE_SIZE", 4)
    client = login(cast.sales)

    first = client.get(URL, {"sort": "name"})
    second = client.get(URL, {"sort": "name", "page": 2})

    assert len(names(first)) == 4 and len(names(second)) == 2
    assert "Sivu 1 / 2" in first.content.decode()
    assert 'rel="next" href="/people/?sort=name&amp;page=2"' in first.content.decode()


def test_a_page_of_the_list_is_audited_with_the_persons_shown(login, cast, world):
    login(cast.sales).get(URL, {"category": "student", "q": "öh"})

    [event] = events(action="search", object_type="person", origin="ui")
    assert json.loads(event.person_ids) == [str(world.orjan.pk)]
    assert json.loads(event.detail)["filters"] == ["category"]
    assert "öh" not in event.detail


def test_a_role_without_the_view_permission_is_refused(login, powerless, world):
    assert login(powerless).get(URL).status_code == 403


def test_the_export_link_is_shown_only_to_roles_that_may_export(login, cast, world):
    export = reverse("web:person_export")
    assert export in login(cast.crm).get(URL).content.decode()
    assert export in login(cast.privacy_officer).get(URL).content.decode()
    assert export not in login(cast.sales).get(URL).content.decode()


def test_the_dashboard_tile_links_to_the_list(login, cast, world):
    body = login(cast.sales).get(reverse("web:dashboard")).content.decode()
    assert f'<a href="{URL}">6</a>' in body


def test_the_search_page_finds_people_from_two_letters(login, cast, world):
    body = login(cast.sales).get(reverse("web:search"), {"q": "Vi"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Virtanen, Anna" in body and "Virtanen, Ville" in body
