"""person_list, person_search with filters and sorts, and visible_persons as the one entry point."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from rekisteri.audit.models import AuditEvent
from rekisteri.people import selectors
from rekisteri.people.filters import PersonFilters, person_filters_clean
from rekisteri.people.models import Person
from rekisteri.people.selectors import ListTooBroad, person_list, person_search, persons_for_export
from rekisteri.people.tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    return build_world(cast)


def listed(system_actor, limit=50, **kwargs) -> list:
    return [person.pk for person in person_list(actor=system_actor, limit=limit, **kwargs).results]


def filtered(system_actor, **raw) -> set:
    return set(listed(system_actor, filters=person_filters_clean(raw)))


# --------------------------------------------------------------------------- filters


def test_each_filter_narrows_the_list_to_exactly_its_persons(system_actor, world, cast):
    w = world
    cases = {
        (("organization_id", w.pohjola.pk),): {w.anna, w.ville},
        (("category", "student"),): {w.asa, w.orjan},
        (("source_kind", "public_source"),): {w.ville},
        (("owner_company_id", w.defsec.pk),): {w.asa, w.aijo},
        (("owner_company_id", w.controller.pk),): {w.anna, w.ville},
        (("responsible_id", cast.crm.pk),): {w.asa, w.aijo},
        (("purpose", "direct_marketing"),): {w.asa, w.orjan},
        (("basis", "contract"),): {w.anna, w.asa, w.zoe},
        (("purpose", "direct_marketing"), ("basis_state", "active")): {w.orjan},
        (("purpose", "direct_marketing"), ("basis_state", "withdrawn")): {w.asa},
        (("basis", "legitimate_interest"), ("basis_state", "ended")): {w.ville},
        (("basis", "contract"), ("basis_state", "upcoming")): {w.zoe},
        (("basis", "contract"), ("basis_state", "active")): {w.anna, w.asa},
        (("purpose", "direct_marketing"), ("basis_state", "missing")): {w.anna, w.ville, w.zoe, w.aijo},
        (("basis_state", "missing"),): {w.aijo},
        (("category", "student"), ("responsible_id", cast.crm.pk)): {w.asa},
    }
    for raw, expected in cases.items():
        assert filtered(system_actor, **dict(raw)) == w.ids(*expected), raw


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"organization_id": 999_999}, "organization_id"),
        ({"organization_id": "abc"}, "organization_id"),
        ({"organization_id": 0}, "organization_id"),
        ({"owner_company_id": 999_999}, "owner_company_id"),
        ({"responsible_id": 999_999}, "responsible_id"),
        ({"category": "vip"}, "category"),
        ({"basis": "whim"}, "basis"),
        ({"basis_state": "forever"}, "basis_state"),
        ({"basis_state": "active"}, "basis_state"),  # a state needs the purpose or the basis
        ({"source_kind": "rumour"}, "source_kind"),
        ({"purpose": "world_domination"}, "purpose"),
        ({"shoe_size": "42"}, "shoe_size"),
    ],
)
def test_bad_filter_values_are_refused_naming_the_filter(world, raw, field):
    with pytest.raises(ValidationError) as excinfo:
        person_filters_clean(raw)
    assert field in excinfo.value.message_dict


def test_a_staff_member_without_a_role_is_not_a_responsible_person(cast):
    with pytest.raises(ValidationError) as excinfo:
        person_filters_clean({"responsible_id": cast.outsider.pk})
    assert "responsible_id" in excinfo.value.message_dict


# --------------------------------------------------------------------------- sorting


def test_the_default_order_is_newest_first(system_actor, world):
    w = world
    assert listed(system_actor) == [p.pk for p in reversed(w.everybody)]
    assert listed(system_actor, sort="created") == [p.pk for p in w.everybody]


def test_names_sort_after_decryption_in_finnish_alphabetical_order(system_actor, world):
    w = world
    # å, ä, ö come after z, in that order (their code points would put ä before å).
    finnish = [w.anna, w.ville, w.zoe, w.asa, w.aijo, w.orjan]
    assert listed(system_actor, sort="name") == [p.pk for p in finnish]
    assert listed(system_actor, sort="-name") == [p.pk for p in reversed(finnish)]


def test_pages_of_a_name_sorted_list_continue_each_other(system_actor, world):
    pages = [listed(system_actor, sort="name", limit=2, offset=offset) for offset in (0, 2, 4)]
    assert [pk for page in pages for pk in page] == listed(system_actor, sort="name")
    page = person_list(actor=system_actor, sort="name", limit=2, offset=4)
    assert (page.total, page.limit, page.offset, page.total_capped) == (6, 2, 4, False)


def test_last_contact_sorts_newest_first_with_the_never_contacted_at_the_end(system_actor, world):
    w = world
    newest = listed(system_actor, sort="-last_contact")
    assert newest[:4] == [w.zoe.pk, w.anna.pk, w.orjan.pk, w.ville.pk]
    assert set(newest[4:]) == w.ids(w.asa, w.aijo)
    oldest = listed(system_actor, sort="last_contact")
    assert set(oldest[:2]) == w.ids(w.asa, w.aijo)
    assert oldest[2:] == [w.ville.pk, w.orjan.pk, w.anna.pk, w.zoe.pk]


def test_organization_sorts_by_its_name_with_persons_without_one_last(system_actor, world):
    w = world
    order = listed(system_actor, sort="organization")
    assert set(order[:2]) == w.ids(w.asa, w.aijo)  # Aalto Koulutus
    assert set(order[2:4]) == w.ids(w.anna, w.ville)  # Pohjolan Data
    assert set(order[4:]) == w.ids(w.orjan, w.zoe)
    reverse = listed(system_actor, sort="-organization")
    assert set(reverse[:2]) == w.ids(w.anna, w.ville) and set(reverse[4:]) == w.ids(w.orjan, w.zoe)


@pytest.mark.parametrize("sort", ["organization", "-organization"])
def test_pages_of_the_organization_sort_continue_each_other_into_those_without_one(system_actor, world, sort):
    whole = listed(system_actor, sort=sort)
    for size in (1, 3, 4):
        pages = [listed(system_actor, sort=sort, limit=size, offset=offset) for offset in range(0, 6, size)]
        assert [pk for page in pages for pk in page] == whole, size
    students = person_filters_clean({"category": "student"})
    assert listed(system_actor, sort=sort, filters=students) == [world.asa.pk, world.orjan.pk]


def test_an_unknown_sort_is_refused(system_actor, world):
    with pytest.raises(ValidationError) as excinfo:
        person_list(actor=system_actor, sort="shoe_size")
    assert "sort" in excinfo.value.message_dict


def test_sorting_by_name_is_refused_beyond_the_bound_but_a_narrower_list_sorts(
    system_actor, world, monkeypatch
):
    monkeypatch.setattr(selectors.common, "SORT_LIMIT", 3)
    with pytest.raises(ListTooBroad) as excinfo:
        person_list(actor=system_actor, sort="name")
    assert "sort" in excinfo.value.message_dict
    narrow = person_filters_clean({"organization_id": world.pohjola.pk})
    assert len(listed(system_actor, sort="name", filters=narrow)) == 2
    assert len(listed(system_actor, sort="-created")) == 6  # database sorts have no bound


def test_totals_stop_at_the_count_bound(system_actor, world, monkeypatch):
    monkeypatch.setattr(selectors.common, "LIST_COUNT_BOUND", 4)
    page = person_list(actor=system_actor, limit=2)
    assert (page.total, page.total_capped) == (4, True)
    assert len(listed(system_actor, limit=2, offset=4)) == 2  # the pages beyond are still there


# --------------------------------------------------------------------------- searching a list


def test_a_search_combines_with_filters_and_sorts(system_actor, world):
    w = world
    students = person_filters_clean({"category": "student"})
    page = person_search(actor=system_actor, query="Ö", filters=students)
    assert page.results == []  # one letter is a whole word
    assert [p.pk for p in person_search(actor=system_actor, query="öh", filters=students).results] == [
        w.orjan.pk
    ]
    virtanens = person_search(actor=system_actor, query="vi", sort="-last_contact")
    assert [p.pk for p in virtanens.results] == [w.anna.pk, w.ville.pk]
    pohjola = person_filters_clean({"organization_id": w.pohjola.pk})
    assert [p.pk for p in person_search(actor=system_actor, query="+358", filters=pohjola).results] == []
    by_phone = person_search(actor=system_actor, query="040 772", sort="name")
    assert [p.pk for p in by_phone.results] == [w.anna.pk, w.orjan.pk]


def test_a_sorted_search_is_bounded_too(system_actor, world, monkeypatch):
    monkeypatch.setattr(selectors.common, "SORT_LIMIT", 1)
    with pytest.raises(ListTooBroad):
        person_search(actor=system_actor, query="virt", sort="name")
    assert len(person_search(actor=system_actor, query="virt").results) == 2  # the index's order


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("@pohjolandata.example", ("anna", "ville")),
        ("@POHJOLANDATA.example", ("anna", "ville")),
        ("@aalto.example", ("asa",)),
        ("@posti", ()),  # a whole domain, not a part of one
        ("040 772", ("anna", "orjan")),
        ("+358 40 772 1", ("anna",)),
        ("+35845", ("ville",)),
        ("045 123 4567", ("ville",)),
        ("00358 50 555", ("asa",)),
        ("09 123", ("aijo",)),
        ("0401", ()),
    ],
)
def test_partial_phone_numbers_and_email_domains_find_people(system_actor, world, query, expected):
    found = {person.pk for person in person_search(actor=system_actor, query=query, limit=50).results}
    assert found == {getattr(world, name).pk for name in expected}


# --------------------------------------------------------------------------- one entry point


def test_every_list_search_and_export_goes_through_visible_persons(system_actor, world, monkeypatch):
    hidden = world.anna
    everyone_but_anna = Person.objects.exclude(pk=hidden.pk)
    monkeypatch.setattr(selectors.common, "visible_persons", lambda actor: everyone_but_anna)

    assert hidden.pk not in listed(system_actor)
    assert hidden.pk not in listed(system_actor, sort="name")
    for query in ["virt", "vi", "anna.virtanen@pohjolandata.example", "@pohjolandata.example", "040 772"]:
        assert hidden.pk not in {p.pk for p in person_search(actor=system_actor, query=query).results}, query
        sorted_page = person_search(actor=system_actor, query=query, sort="name")
        assert hidden.pk not in {p.pk for p in sorted_page.results}, query
    exported = persons_for_export(actor=system_actor, filters=None, limit=100)
    assert hidden.pk not in {p.pk for p in exported} and len(exported) == 5


def test_restricted_persons_are_left_out_of_exports_but_not_lists(system_actor, world):
    Person.objects.filter(pk=world.ville.pk).update(restricted_at=world.ville.created_at)
    assert world.ville.pk in listed(system_actor)
    exported = persons_for_export(actor=system_actor, filters=None, limit=100)
    assert world.ville.pk not in {p.pk for p in exported}


def test_an_export_for_marketing_takes_only_a_basis_in_force_and_no_objection(system_actor, world):
    marketable = persons_for_export(actor=system_actor, filters=None, limit=100, for_marketing=True)
    assert [p.pk for p in marketable] == [world.orjan.pk]  # Åsa withdrew her consent
    Person.objects.filter(pk=world.orjan.pk).update(marketing_objection_at=world.orjan.created_at)
    assert persons_for_export(actor=system_actor, filters=None, limit=100, for_marketing=True) == []


def test_an_export_beyond_its_bound_is_refused(system_actor, world):
    with pytest.raises(ListTooBroad) as excinfo:
        persons_for_export(actor=system_actor, filters=None, limit=5)
    assert "export" in excinfo.value.message_dict
    with pytest.raises(ListTooBroad):
        persons_for_export(actor=system_actor, filters=None, query="vi", limit=1)


# --------------------------------------------------------------------------- audit


def test_a_list_page_is_audited_with_the_ids_shown_the_sort_and_the_filter_names(system_actor, world):
    filters = person_filters_clean(
        {"category": "student", "responsible_id": world.aalto.responsible_staff.get().pk}
    )
    person_list(actor=system_actor, filters=filters, sort="name", purpose="customer_relationship")

    event = AuditEvent.objects.filter(action="list", object_type="person").latest("seq")
    assert json.loads(event.person_ids) == [str(world.asa.pk)]
    assert event.purpose == "customer_relationship"
    assert json.loads(event.detail) == {
        "results": 1,
        "total": 1,
        "sort": "name",
        "filters": ["category", "responsible_id"],
    }


def test_filters_report_the_names_in_use():
    assert PersonFilters().used() == [] and not PersonFilters()
    assert PersonFilters(category="student", organization_id=3).used() == ["organization_id", "category"]


def test_the_last_contact_index_keeps_the_never_contacted_first_on_every_database():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'person_last_contact_idx'")
            assert "last_activity_at NULLS FIRST, id" in cursor.fetchone()[0]
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'person_last_contact_idx'")
            # A later migration that rebuilt the table (0009) quotes the column names.
            assert "(last_activity_at, id)" in cursor.fetchone()[0].replace('"', "")
