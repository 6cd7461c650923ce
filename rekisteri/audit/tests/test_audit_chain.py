import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from rekisteri.audit.models import AuditEvent, AuditHead, AuditSubject
from rekisteri.audit.services import audit_checkpoint, audit_record, audit_verify
from rekisteri.audit.testing import append_only_triggers_dropped

pytestmark = pytest.mark.django_db


def _events(system_actor, n=5):
    return [
        audit_record(
            actor=system_actor,
            action="view",
            object_type="person",
            object_ids=[i],
            person_ids=[f"3f1c1a52-8f8e-4a61-9c7a-1f6a0b1d2e3{i}"],
        )
        for i in range(n)
    ]


def test_an_untouched_chain_verifies(system_actor):
    _events(system_actor)
    result = audit_verify()
    assert result.ok, result.problem
    assert result.events_checked == 5
    assert result.head_seq == 5


def test_sequence_numbers_are_gapless_even_after_a_rollback(system_actor):
    audit_record(actor=system_actor, action="view", object_type="person")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=system_actor, action="create", object_type="person")
        raise RuntimeError("the change failed, so its audit event must vanish with it")
    audit_record(actor=system_actor, action="view", object_type="person")
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2]
    assert audit_verify().ok


def test_events_hold_ids_and_never_values(system_actor, person):
    dumped = json.dumps(list(AuditEvent.objects.values()), default=str)
    for value in ("Anna", "Virtanen", "anna.virtanen", "+358401234567", "Hankinta"):
        assert value not in dumped
    assert str(person.pk) in dumped


def test_the_database_refuses_updates_and_deletes(system_actor):
    _events(system_actor, 2)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(action="delete")
    for statement in ("DELETE FROM audit_auditsubject", "DELETE FROM audit_auditevent WHERE seq = 2"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement)
    assert audit_verify().ok


def test_a_changed_event_is_detected_and_named(system_actor):
    _events(system_actor)
    with append_only_triggers_dropped():
        AuditEvent.objects.filter(seq=3).update(action="search")
    result = audit_verify()
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "changed" in result.problem


def test_a_changed_subject_index_is_detected(system_actor):
    _events(system_actor)
    with append_only_triggers_dropped():
        AuditSubject.objects.filter(event__seq=2).delete()
    result = audit_verify()
    assert not result.ok and result.first_bad_seq == 2


def test_a_deleted_event_in_the_middle_is_detected(system_actor):
    _events(system_actor)
    with append_only_triggers_dropped():
        AuditSubject.objects.filter(event__seq=3).delete()
        AuditEvent.objects.filter(seq=3).delete()
    result = audit_verify()
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "missing" in result.problem


def test_an_event_inserted_out_of_order_is_detected(system_actor):
    events = _events(system_actor)
    forged = events[2]
    with append_only_triggers_dropped():
        # Shift events 3.. up by one and slip a forged event in at position 3, reusing a
        # genuine-looking predecessor hash.
        for event in reversed(events[2:]):
            AuditEvent.objects.filter(pk=event.pk).update(seq=event.seq + 1)
        AuditEvent.objects.create(
            seq=3,
            at=forged.at,
            actor_label="forger",
            action="view",
            object_type="person",
            prev_hash=events[1].hash,
            hash=forged.hash,
            origin="cli",
        )
    result = audit_verify()
    assert not result.ok
    assert result.first_bad_seq == 3


def test_a_recomputed_forgery_at_the_end_is_caught_by_the_head(system_actor):
    events = _events(system_actor)
    with append_only_triggers_dropped():
        AuditSubject.objects.filter(event__seq=5).delete()
        AuditEvent.objects.filter(seq=5).delete()
    result = audit_verify()
    assert not result.ok
    assert "head" in result.problem
    assert events


def test_removing_the_newest_events_and_the_head_is_caught_by_checkpoints(system_actor):
    _events(system_actor)
    audit_checkpoint()
    with append_only_triggers_dropped():
        AuditSubject.objects.filter(event__seq__gte=4).delete()
        AuditEvent.objects.filter(seq__gte=4).delete()
        # A careful attacker also rewinds the head row.
        last = AuditEvent.objects.get(seq=3)
        AuditHead.objects.filter(pk=1).update(seq=3, hash=last.hash)
    result = audit_verify()
    assert not result.ok
    assert "removed" in result.problem
    assert result.first_bad_seq == 4


def test_checkpoints_written_then_chain_extended_still_verify(system_actor):
    _events(system_actor, 2)
    checkpoint = audit_checkpoint()
    assert checkpoint.seq == 2
    _events(system_actor, 2)
    assert audit_verify().ok


def test_sequence_numbers_are_unique(system_actor):
    event = _events(system_actor, 1)[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.create(
            seq=event.seq,
            at=event.at,
            action="x",
            object_type="y",
            origin="cli",
            prev_hash=event.hash,
            hash=event.hash,
        )
    assert connection.vendor in {"sqlite", "postgresql"}


def test_an_append_after_another_process_moved_the_head_still_chains(system_actor):
    from rekisteri.audit import services

    first = _events(system_actor, 2)[0]
    # What a process that last appended event 1 believes (PostgreSQL appends to the head it knows).
    for database in list(services._known_heads):
        services._known_heads[database] = (1, first.hash)

    with CaptureQueriesContext(connection) as queries:
        audit_record(actor=system_actor, action="view", object_type="person")

    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2, 3]
    assert audit_verify().ok
    if connection.vendor == "postgresql":
        # The missed statement answered with the head it found; the retry needed no lock.
        assert len(queries) == 2
        assert not [query for query in queries if "FOR UPDATE" in (query["sql"] or "")]
