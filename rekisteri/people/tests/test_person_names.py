"""person_names: full names by id for pages that name persons, the read audited with ids only."""

from __future__ import annotations

import json
import uuid

import pytest

from rekisteri.audit.models import AuditEvent
from rekisteri.people.selectors import person_names
from rekisteri.people.services import person_create
from rekisteri.privacy.erasure import person_erase

pytestmark = pytest.mark.django_db


def test_names_by_id_leave_out_the_erased_and_the_malformed(system_actor, person):
    erased = person_create(actor=system_actor, first_name="Eero", last_name="Poistettu")
    person_erase(actor=system_actor, person_id=erased.pk, reason="erasure_request")
    before = AuditEvent.objects.count()

    names = person_names(
        actor=system_actor,
        person_ids=[str(person.pk), person.pk, str(erased.pk), "not-an-id", str(uuid.uuid4())],
        via="audit_trail",
    )

    assert names == {str(person.pk): "Anna Virtanen"}
    [event] = AuditEvent.objects.filter(seq__gt=before)
    assert (event.action, event.object_type) == ("view", "person")
    assert json.loads(event.person_ids) == [str(person.pk)]
    assert json.loads(event.detail) == {"fields": ["first_name", "last_name"], "via": "audit_trail"}
    assert "Anna" not in event.detail


def test_nobody_found_is_no_read_and_no_event(system_actor):
    before = AuditEvent.objects.count()

    assert person_names(actor=system_actor, person_ids=[str(uuid.uuid4()), "x"]) == {}
    assert AuditEvent.objects.count() == before
