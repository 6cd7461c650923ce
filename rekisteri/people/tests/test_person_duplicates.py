"""person_create and person_update refuse a second person with the same e-mail or phone."""

import pytest

from rekisteri.audit.models import AuditEvent
from rekisteri.people import services
from rekisteri.people.models import Person
from rekisteri.people.services import DuplicatePerson, person_create, person_duplicates, person_update

pytestmark = pytest.mark.django_db


def test_a_new_person_with_an_existing_email_in_other_case_is_refused_with_the_existing_id(
    system_actor, person
):
    with pytest.raises(DuplicatePerson) as excinfo:
        person_create(
            actor=system_actor, first_name="Anni", last_name="Virta", email="ANNA.Virtanen@testi.fi"
        )

    assert excinfo.value.existing_ids == [person.pk]
    assert excinfo.value.duplicate_fields == ["email"]
    assert set(excinfo.value.message_dict) == {"email"}
    assert Person.objects.count() == 1
    assert AuditEvent.objects.filter(action="create", object_type="person").count() == 1


def test_a_phone_number_in_another_format_is_the_same_number(system_actor, person):
    with pytest.raises(DuplicatePerson) as excinfo:
        person_create(actor=system_actor, first_name="Aatu", last_name="Aho", phone="+358 40 123 4567")

    assert excinfo.value.existing_ids == [person.pk]
    assert excinfo.value.duplicate_fields == ["phone"]


def test_both_matches_are_named_once_each(system_actor, person):
    other = person_create(actor=system_actor, first_name="Olli", last_name="Ojala", phone="050 765 4321")

    with pytest.raises(DuplicatePerson) as excinfo:
        person_create(
            actor=system_actor,
            first_name="Uusi",
            last_name="Henkilö",
            email="anna.virtanen@testi.fi",
            phone="050 765 4321",
        )

    assert set(excinfo.value.existing_ids) == {person.pk, other.pk}
    assert excinfo.value.duplicate_fields == ["email", "phone"]


def test_allow_duplicate_saves_a_second_person_with_the_same_address(system_actor, person):
    second = person_create(
        actor=system_actor,
        first_name="Anna",
        last_name="Virtanen",
        email="anna.virtanen@testi.fi",
        allow_duplicate=True,
    )

    assert second.pk != person.pk
    assert Person.objects.count() == 2


def test_a_person_without_email_or_phone_is_never_a_duplicate(system_actor, person):
    person_create(actor=system_actor, first_name="Anna", last_name="Virtanen")
    person_create(actor=system_actor, first_name="Anna", last_name="Virtanen")

    assert Person.objects.count() == 3


def test_changing_the_email_to_another_persons_is_refused(system_actor, person):
    other = person_create(actor=system_actor, first_name="Olli", last_name="Ojala", email="olli@testi.fi")

    with pytest.raises(DuplicatePerson) as excinfo:
        person_update(actor=system_actor, person=other, email="anna.virtanen@testi.fi")

    assert excinfo.value.existing_ids == [person.pk]
    other.refresh_from_db()
    assert other.email == "olli@testi.fi"


def test_changing_other_fields_of_a_person_who_shares_an_address_is_not_refused(system_actor, person):
    twin = person_create(
        actor=system_actor,
        first_name="Anna",
        last_name="Virtanen",
        email="anna.virtanen@testi.fi",
        allow_duplicate=True,
    )

    person_update(actor=system_actor, person=twin, title="Johtaja", email="anna.virtanen@testi.fi")

    twin.refresh_from_db()
    assert twin.title == "Johtaja"


def test_an_update_may_insist_on_a_shared_phone(system_actor, person):
    other = person_create(actor=system_actor, first_name="Olli", last_name="Ojala")

    person_update(actor=system_actor, person=other, phone="040 123 4567", allow_duplicate=True)

    other.refresh_from_db()
    assert other.phone == "+358401234567"


def test_blind_index_candidates_that_do_not_match_after_decryption_are_not_duplicates(
    system_actor, person, monkeypatch
):
    # Every address "collides" in the truncated index: only the re-check tells them apart.
    monkeypatch.setattr(
        services,
        "candidates_by_email",
        lambda key: _as_candidates(Person.objects.values_list("pk", flat=True)),
    )

    assert person_duplicates(email="someone.else@testi.fi") is None
    assert person_duplicates(email="anna.virtanen@testi.fi").existing_ids == [person.pk]


class _as_candidates:
    """Stands in for the blind index's candidates (rows of person ids, in order)."""

    def __init__(self, ids):
        self.ids = list(ids)

    def __iter__(self):
        return iter({"person_id": pid} for pid in self.ids)
