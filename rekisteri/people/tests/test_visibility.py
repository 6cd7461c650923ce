"""The view rules (people.visibility): which persons each role's scope holds, and the counts
the dashboards show. What each role sees through the pages and the API is checked from the
outside in tests/test_view_rules_matrix.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rekisteri.accounts.models import Role
from rekisteri.audit.actor import Actor
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.services import interaction_create
from rekisteri.people.models import Person, PersonCategory
from rekisteri.people.selectors import (
    marketing_audience_counts,
    persons_without_basis,
    persons_without_basis_count,
    visible_persons,
)
from rekisteri.people.services import person_create
from rekisteri.people.visibility import FIELD_GROUPS, VIEW_RULES
from rekisteri.privacy.models import ProcessingBasis, Purpose
from rekisteri.privacy.services import basis_set

pytestmark = pytest.mark.django_db


def _person(actor, last_name: str, categories=()) -> Person:
    return person_create(actor=actor, first_name="Testi", last_name=last_name, categories=list(categories))


def test_every_role_has_a_view_rule_with_known_groups_kinds_and_purposes():
    assert set(VIEW_RULES) == set(Role.values)
    purposes = set(Purpose.objects.values_list("slug", flat=True))
    for role, rule in VIEW_RULES.items():
        assert rule.purpose in purposes, role
        assert rule.fields <= set(FIELD_GROUPS), role
        assert rule.interaction_kinds is None or rule.interaction_kinds <= set(Interaction.Kind.values), role


def test_a_trainer_sees_students_and_nobody_else(cast, system_actor):
    student = _person(system_actor, "Oppilas", [PersonCategory.Category.STUDENT])
    both = _person(
        system_actor,
        "Molemmat",
        [PersonCategory.Category.STUDENT, PersonCategory.Category.CUSTOMER_REPRESENTATIVE],
    )
    _person(system_actor, "Asiakas", [PersonCategory.Category.CUSTOMER_REPRESENTATIVE])
    _person(system_actor, "Luokaton")

    assert set(visible_persons(cast.trainer)) == {student, both}


def test_marketing_sees_only_persons_direct_marketing_may_reach(cast, system_actor):
    today = timezone.localdate()
    reachable = {}
    for name, basis in [("Suostunut", "consent"), ("Oikeutettu", "legitimate_interest")]:
        person = _person(system_actor, name)
        basis_set(
            actor=system_actor,
            person=person,
            purpose="direct_marketing",
            basis=basis,
            interest_ground="employer_relationship" if basis == "legitimate_interest" else "",
        )
        reachable[name] = person
    unreachable = {}
    for name in ["Peruutettu", "Päättynyt", "Tuleva", "Kieltänyt", "Rajoitettu", "Ilman"]:
        person = _person(system_actor, name)
        unreachable[name] = person
        if name == "Ilman":
            basis_set(actor=system_actor, person=person, purpose="customer_relationship", basis="contract")
            continue
        basis_set(
            actor=system_actor,
            person=person,
            purpose="direct_marketing",
            basis="consent",
            valid_from=today - timedelta(days=30) if name == "Päättynyt" else None,
            valid_until=today - timedelta(days=1) if name == "Päättynyt" else None,
        )
    ProcessingBasis.objects.filter(person=unreachable["Peruutettu"]).update(withdrawn_at=timezone.now())
    ProcessingBasis.objects.filter(person=unreachable["Tuleva"]).update(valid_from=today + timedelta(days=3))
    Person.objects.filter(pk=unreachable["Kieltänyt"].pk).update(marketing_objection_at=timezone.now())
    Person.objects.filter(pk=unreachable["Rajoitettu"].pk).update(restricted_at=timezone.now())

    assert set(visible_persons(cast.marketing)) == set(reachable.values())
    assert marketing_audience_counts() == {"total": 2, "consent": 1, "legitimate_interest": 1}
    assert marketing_audience_counts(bound=1) == {"total": 2, "consent": 1, "legitimate_interest": 1}


@pytest.mark.parametrize("role", ["sales", "crm", "privacy_officer", "admin"])
def test_customer_work_and_the_privacy_officer_see_everyone(cast, system_actor, role):
    people = {_person(system_actor, "Asiakas"), _person(system_actor, "Oppilas", ["student"])}

    assert set(visible_persons(getattr(cast, role))) == people


def test_staff_without_a_role_and_no_user_at_all_see_no_one(cast, system_actor):
    _person(system_actor, "Asiakas")

    assert not visible_persons(cast.outsider).exists()
    assert not visible_persons(None).exists()


def test_persons_without_a_basis_in_force_are_counted_with_a_bound(system_actor):
    today = timezone.localdate()
    with_basis = _person(system_actor, "Perusteellinen")
    basis_set(actor=system_actor, person=with_basis, purpose="customer_relationship", basis="contract")
    ended = _person(system_actor, "Päättynyt")
    basis_set(
        actor=system_actor,
        person=ended,
        purpose="customer_relationship",
        basis="contract",
        valid_from=today - timedelta(days=400),
        valid_until=today - timedelta(days=1),
    )
    withdrawn = _person(system_actor, "Peruuttanut")
    basis_set(actor=system_actor, person=withdrawn, purpose="direct_marketing", basis="consent")
    ProcessingBasis.objects.filter(person=withdrawn).update(withdrawn_at=timezone.now())
    none = _person(system_actor, "Perusteeton")

    assert set(persons_without_basis()) == {ended, withdrawn, none}
    assert persons_without_basis_count() == 3
    # Counted to the bound + 1, which the dashboard shows as "2+".
    assert persons_without_basis_count(bound=2) == 3
    assert persons_without_basis_count(bound=1) == 2


def test_a_trainer_records_only_the_kinds_of_contact_a_trainer_sees(cast, system_actor):
    student = _person(system_actor, "Oppilas", ["student"])
    trainer = Actor.for_user(cast.trainer, "ui")

    with pytest.raises(ValidationError) as refused:
        interaction_create(actor=trainer, person=student, kind="call", text="Tarjous lähetetty")
    interaction_create(actor=trainer, person=student, kind="feedback", text="Kurssi oli hyvä")

    assert "kind" in refused.value.message_dict
    assert list(Interaction.objects.values_list("kind", flat=True)) == ["feedback"]
