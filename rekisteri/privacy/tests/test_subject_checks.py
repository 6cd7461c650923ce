"""Privacy's writes reach the person's restriction and objection through the registry."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rekisteri.people.restriction import MarketingObjected, marketing_check, restriction_check
from rekisteri.privacy.models import ProcessingBasis
from rekisteri.privacy.registry import subject_checks
from rekisteri.privacy.services import basis_set, source_add


def test_the_people_app_declares_restriction_and_objection_as_the_subject_checks():
    checks = subject_checks()
    assert (checks.processing, checks.marketing) == (restriction_check, marketing_check)


def test_a_restricted_person_gets_no_new_basis_or_source(person, system_actor):
    type(person).objects.filter(pk=person.pk).update(restricted_at=timezone.now())
    with pytest.raises(ValidationError) as refused:
        basis_set(actor=system_actor, person=person, purpose="customer_relationship", basis="contract")
    assert refused.value.code == "person.restricted"
    with pytest.raises(ValidationError):
        source_add(actor=system_actor, person=person, kind="data_subject")
    assert not ProcessingBasis.objects.filter(person=person, purpose__slug="customer_relationship").exists()


def test_an_objection_refuses_a_marketing_basis_but_not_another(person, system_actor):
    type(person).objects.filter(pk=person.pk).update(marketing_objection_at=timezone.now())
    with pytest.raises(MarketingObjected) as refused:
        basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
    assert list(refused.value.message_dict) == ["purpose"]
    basis_set(actor=system_actor, person=person, purpose="customer_relationship", basis="contract")
