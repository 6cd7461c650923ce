import pytest
from django.db import transaction

from rekisteri.audit.models import AuditEvent, AuditHead, AuditSubject
from rekisteri.audit.services import audit_record, audit_record_many, audit_verify
from rekisteri.audit.testing import append_only_triggers_dropped

pytestmark = pytest.mark.django_db

PERSONS = [f"3f1c1a52-8f8e-4a61-9c7a-1f6a0b1d2e{i:02d}" for i in range(10)]


def _many(actor, n=5, **extra):
    return audit_record_many(
        actor=actor,
        events=[
            {
                "action": "create",
                "object_type": "person",
                "object_ids": [PERSONS[i]],
                "person_ids": [PERSONS[i]],
                "detail": {"fields": ["first_name"], "bulk": True},
                **extra,
            }
            for i in range(n)
        ],
    )


def test_bulk_events_extend_the_chain_between_single_events(system_actor):
    audit_record(actor=system_actor, action="view", object_type="person", person_ids=[PERSONS[9]])
    assert _many(system_actor, 5) == 5
    audit_record(actor=system_actor, action="view", object_type="person", person_ids=[PERSONS[8]])
    result = audit_verify()
    assert result.ok, result.problem
    assert result.events_checked == 7
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 8))
    head = AuditHead.objects.get()
    assert (head.seq, head.hash) == (7, AuditEvent.objects.get(seq=7).hash)


def test_each_bulk_event_gets_its_subjects(system_actor):
    audit_record_many(
        actor=system_actor,
        events=[
            {"action": "search", "object_type": "person", "person_ids": [PERSONS[2], PERSONS[1], PERSONS[2]]},
            {"action": "list", "object_type": "person"},
        ],
    )
    first, second = AuditEvent.objects.order_by("seq")
    assert sorted(str(pid) for pid in first.subjects.values_list("person_id", flat=True)) == PERSONS[1:3]
    assert first.person_ids == f'["{PERSONS[1]}","{PERSONS[2]}"]'
    assert not second.subjects.exists()
    assert audit_verify().ok


def test_a_changed_bulk_event_is_detected(system_actor):
    _many(system_actor, 5)
    with append_only_triggers_dropped():
        AuditEvent.objects.filter(seq=3).update(detail='{"bulk":false}')
    result = audit_verify()
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "changed" in result.problem


def test_a_removed_subject_of_a_bulk_event_is_detected(system_actor):
    _many(system_actor, 5)
    with append_only_triggers_dropped():
        AuditSubject.objects.filter(event__seq=4).delete()
    result = audit_verify()
    assert not result.ok and result.first_bad_seq == 4


def test_a_rolled_back_bulk_append_leaves_no_gap(system_actor):
    _many(system_actor, 2)
    with pytest.raises(RuntimeError), transaction.atomic():
        _many(system_actor, 3)
        raise RuntimeError("the import failed, so its events must vanish with it")
    audit_record(actor=system_actor, action="view", object_type="person")
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2, 3]
    assert audit_verify().ok


def test_a_malformed_event_writes_nothing(system_actor):
    with pytest.raises(TypeError, match="search_term"):
        audit_record_many(
            actor=system_actor,
            events=[
                {"action": "view", "object_type": "person"},
                {"action": "search", "object_type": "person", "search_term": "Virtanen"},
            ],
        )
    assert not AuditEvent.objects.exists()
    assert audit_record_many(actor=system_actor, events=[]) == 0
    assert not AuditEvent.objects.exists()


def test_bulk_events_carry_the_actor_and_its_default_purpose(cast):
    from rekisteri.audit.actor import Actor

    actor = Actor.for_user(cast.sales, "ui")
    audit_record_many(
        actor=actor,
        events=[
            {"action": "view", "object_type": "person"},
            {"action": "view", "object_type": "x", "purpose": "training"},
        ],
    )
    first, second = AuditEvent.objects.order_by("seq")
    assert first.actor_user_id == cast.sales.pk and first.origin == "ui"
    assert first.purpose == actor.purpose and second.purpose == "training"
    assert audit_verify().ok
