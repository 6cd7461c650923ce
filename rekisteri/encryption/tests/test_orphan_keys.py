"""Data keys whose owner row never came to be are removed after a grace period."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from rekisteri.encryption.orphans import key_owner_models, orphan_keys_remove
from rekisteri.keystore.models import DataKey
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import create_keys
from rekisteri.outbox.models import OutgoingMail
from rekisteri.people.models import Person
from rekisteri.people.services import DuplicatePerson, person_create
from rekisteri.rights.models import DataSubjectRequest

pytestmark = pytest.mark.django_db


def _keys() -> set:
    return set(DataKey.objects.using(KEYSTORE_DB).values_list("person_id", flat=True))


def test_the_owners_are_found_from_the_models():
    assert {Person, DataSubjectRequest, OutgoingMail} <= set(key_owner_models())


def test_a_key_without_its_row_goes_after_the_grace_period_and_owned_keys_stay(person, system_actor):
    stray = uuid.uuid4()
    create_keys([stray])
    later = timezone.now() + timedelta(hours=25)

    assert orphan_keys_remove(now=timezone.now()) == 0  # still young: its row may be coming
    assert stray in _keys()

    assert orphan_keys_remove(now=later) == 1
    assert stray not in _keys() and person.pk in _keys()
    assert Person.objects.get(pk=person.pk).first_name == "Anna"


def test_a_refused_duplicate_leaves_at_most_a_key_that_the_sweep_removes(person, system_actor):
    before = _keys()
    with pytest.raises(DuplicatePerson):
        person_create(actor=system_actor, first_name="Anna", last_name="Kaksoinen", email=person.email)

    orphan_keys_remove(now=timezone.now() + timedelta(hours=25))

    assert _keys() == before
