"""Persons without a legal basis in force or a source are flagged; ended bases show as ended."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import formats, timezone, translation

from rekisteri.people.models import Person
from rekisteri.people.selectors import basis_flags, persons_missing_basis_or_source, with_basis_flags
from rekisteri.people.services import person_create
from rekisteri.privacy.models import ProcessingBasis
from rekisteri.privacy.services import basis_set, source_add
from rekisteri.web.tests.conftest import events

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _fresh_dashboard_count():
    cache.clear()  # the dashboard keeps its count for a few minutes
    yield
    cache.clear()


def _complete(actor, person, **basis):
    basis_set(actor=actor, person=person, purpose="customer_relationship", basis="contract", **basis)
    source_add(actor=actor, person=person, kind="data_subject")
    return person


def _new(actor, name):
    return person_create(actor=actor, first_name=name, last_name="Testinen")


def _short(day):
    with translation.override("fi"):
        return formats.date_format(day, "SHORT_DATE_FORMAT")


# --- The selectors ------------------------------------------------------------------------


def test_only_persons_with_a_basis_in_force_and_a_source_are_complete(system_actor):
    complete = _complete(system_actor, _new(system_actor, "Valmis"))
    ends_today = _complete(system_actor, _new(system_actor, "Tanaan"), valid_until=TODAY)
    nothing = _new(system_actor, "Tyhja")
    no_source = _new(system_actor, "Lahteeton")
    basis_set(actor=system_actor, person=no_source, purpose="training", basis="contract")
    ended = _complete(
        system_actor,
        _new(system_actor, "Paattynyt"),
        valid_from=TODAY - timedelta(days=30),
        valid_until=TODAY - timedelta(days=1),
    )
    withdrawn = _complete(system_actor, _new(system_actor, "Peruttu"))
    ProcessingBasis.objects.filter(person=withdrawn).update(withdrawn_at=timezone.now())
    not_yet = _complete(system_actor, _new(system_actor, "Tuleva"), valid_from=TODAY + timedelta(days=5))

    flagged = set(persons_missing_basis_or_source().values_list("pk", flat=True))

    assert flagged == {nothing.pk, no_source.pk, ended.pk, withdrawn.pk, not_yet.pk}
    assert complete.pk not in flagged and ends_today.pk not in flagged


def test_the_flags_of_a_page_of_persons_cost_one_query(system_actor, django_assert_num_queries):
    people = [_new(system_actor, f"Henkilo{n}") for n in range(5)]
    _complete(system_actor, people[0])
    source_add(actor=system_actor, person=people[1], kind="public_source")

    with django_assert_num_queries(1):
        flags = basis_flags([p.pk for p in people])

    assert (flags[people[0].pk].missing_basis, flags[people[0].pk].missing_source) == (False, False)
    assert (flags[people[1].pk].missing_basis, flags[people[1].pk].missing_source) == (True, False)
    assert flags[people[2].pk].any


def test_the_annotation_composes_with_other_filters(system_actor, organization):
    inside = person_create(
        actor=system_actor, first_name="Sisalla", last_name="Oy", organization=organization
    )
    _new(system_actor, "Ulkona")

    rows = with_basis_flags(Person.objects.filter(organization=organization)).values_list(
        "pk", "has_basis_in_force", "has_source"
    )

    assert list(rows) == [(inside.pk, False, False)]


# --- The card -----------------------------------------------------------------------------


def test_the_card_flags_a_missing_basis_and_source(login, cast, person):
    body = login(cast.sales).get(reverse("web:person_card", args=[person.pk])).content.decode()

    assert "Käsittelyperuste puuttuu" in body
    assert "Tietolähde puuttuu" in body


def test_a_complete_card_has_no_flags(login, cast, person, system_actor):
    _complete(system_actor, person)

    body = login(cast.sales).get(reverse("web:person_card", args=[person.pk])).content.decode()

    assert "Käsittelyperuste puuttuu" not in body
    assert "Tietolähde puuttuu" not in body
    assert "Päättyneet käsittelyperusteet" not in body


def test_an_ended_basis_is_shown_as_ended_with_its_date_and_its_purpose_is_flagged(
    login, cast, person, system_actor
):
    _complete(system_actor, person)
    last_day = TODAY - timedelta(days=2)
    basis_set(
        actor=system_actor,
        person=person,
        purpose="direct_marketing",
        basis="consent",
        valid_from=TODAY - timedelta(days=100),
        valid_until=last_day,
    )

    body = login(cast.sales).get(reverse("web:person_card", args=[person.pk])).content.decode()

    current, ended = body.split("Päättyneet käsittelyperusteet")
    assert "Asiakassuhteen ja asiakaspalvelun hoitaminen" in current
    assert "Suoramarkkinointi" not in current.split('id="bases-heading"')[1]
    assert f"Päättynyt {_short(last_day)}" in ended
    assert "Käsittely ilman voimassa olevaa perustetta" in ended
    assert "Käsittelyperuste puuttuu" not in body  # customer relationship is still in force


def test_a_withdrawn_consent_ends_on_its_withdrawal(login, cast, person, system_actor):
    _complete(system_actor, person)
    basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
    withdrawn_at = timezone.now() - timedelta(days=1)
    ProcessingBasis.objects.filter(purpose__slug="direct_marketing").update(withdrawn_at=withdrawn_at)

    body = login(cast.sales).get(reverse("web:person_card", args=[person.pk])).content.decode()

    ended = body.split("Päättyneet käsittelyperusteet")[1]
    assert f"Päättynyt {_short(timezone.localdate(withdrawn_at))}" in ended
    assert "suostumus peruutettu" in ended


def test_a_trainer_sees_no_flags(login, cast, person):
    body = login(cast.trainer).get(reverse("web:person_card", args=[person.pk])).content.decode()

    assert "Käsittelyperuste puuttuu" not in body


# --- Search results and the dashboard ---------------------------------------------------------


def test_search_results_flag_the_persons_without_a_basis(login, cast, system_actor):
    _complete(system_actor, person_create(actor=system_actor, first_name="Kaisa", last_name="Kattava"))
    person_create(actor=system_actor, first_name="Kalle", last_name="Kattava")

    body = login(cast.sales).get(reverse("web:search"), {"q": "Kattava"}).content.decode()

    kaisa, kalle = (part for part in body.split('class="result"')[1:])
    assert "Kattava, Kaisa" in kaisa and "Käsittelyperuste puuttuu" not in kaisa
    assert "Kattava, Kalle" in kalle and "Käsittelyperuste puuttuu" in kalle


def test_the_organization_page_flags_its_people_without_a_basis(login, cast, organization, system_actor):
    complete = person_create(
        actor=system_actor, first_name="Kaisa", last_name="Kattava", organization=organization
    )
    _complete(system_actor, complete)
    person_create(actor=system_actor, first_name="Kalle", last_name="Kattava", organization=organization)

    body = login(cast.sales).get(reverse("web:organization_detail", args=[organization.pk])).content.decode()

    rows = body.split('<th scope="row">')[1:]
    kaisa = next(row for row in rows if "Kattava, Kaisa" in row).split("</th>")[0]
    kalle = next(row for row in rows if "Kattava, Kalle" in row).split("</th>")[0]
    assert "Käsittelyperuste puuttuu" not in kaisa
    assert "Käsittelyperuste puuttuu" in kalle


def test_the_dashboard_counts_persons_without_a_basis_or_source_without_reading_them(
    login, cast, system_actor
):
    _complete(system_actor, _new(system_actor, "Valmis"))
    _new(system_actor, "Puuttuu")
    source_add(actor=system_actor, person=_new(system_actor, "Lahde"), kind="public_source")
    before = len(events())

    body = login(cast.sales).get(reverse("web:dashboard")).content.decode()

    assert "Käsittelyperuste tai tietolähde puuttuu" in body
    assert '<p class="stat-number">2</p>' in body.split('id="stat-without-basis"')[1]
    assert len(events()) == before


def test_the_dashboard_count_is_taken_at_most_every_few_minutes(login, cast, system_actor):
    _new(system_actor, "Eka")
    client = login(cast.crm)
    client.get(reverse("web:dashboard"))
    _new(system_actor, "Toka")

    def tile() -> str:
        return client.get(reverse("web:dashboard")).content.decode().split('id="stat-without-basis"')[1]

    assert '<p class="stat-number">1</p>' in tile()
    cache.clear()
    assert '<p class="stat-number">2</p>' in tile()


def test_the_count_stops_at_its_bound(system_actor):
    from rekisteri.web.views.common import bounded_count

    _new(system_actor, "Eka")
    _new(system_actor, "Toka")

    assert bounded_count(persons_missing_basis_or_source(), bound=1) == "1+"


def test_the_dashboard_count_is_not_shown_to_a_trainer(login, cast):
    body = login(cast.trainer).get(reverse("web:dashboard")).content.decode()

    assert "Käsittelyperuste tai tietolähde puuttuu" not in body
