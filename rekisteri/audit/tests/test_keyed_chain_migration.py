"""Migration audit 0006: a trail chained with plain SHA-256 keeps verifying, sealed by one keyed
event, and the head is guarded by triggers on both databases."""

from __future__ import annotations

import io
import json
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from rekisteri.audit.chain import GENESIS_HASH, canonical_json, chain_hash, event_bytes, stored_event_bytes
from rekisteri.audit.models import AuditEvent, AuditHead
from rekisteri.audit.services import audit_record
from rekisteri.audit.testing import append_only_triggers_dropped

pytestmark = pytest.mark.django_db

migration = import_module("rekisteri.audit.migrations.0006_keyed_chain")


def _legacy_trail(n: int = 4) -> list[AuditEvent]:
    """Events as rekisteri wrote them before 0006: SHA-256 chain, no key id, no seal."""
    prev, events = GENESIS_HASH, []
    for seq in range(1, n + 1):
        fields = {
            "seq": seq,
            "at": timezone.now(),
            "actor_user_id": None,
            "actor_label": "cli:demo",
            "action": "view",
            "object_type": "person",
            "object_ids": canonical_json([str(seq)]),
            "person_ids": "[]",
            "purpose": "",
            "origin": "cli",
            "detail": "{}",
        }
        digest = chain_hash(prev, event_bytes(**fields))
        events.append(AuditEvent.objects.create(prev_hash=prev, hash=digest, key_id="", **fields))
        prev = digest
    AuditHead.objects.create(pk=1, seq=n, hash=prev)
    return events


def _seal() -> None:
    with transaction.atomic():
        migration.seal_legacy_events(apps, SimpleNamespace(connection=connection))


def _verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_an_unkeyed_trail_is_sealed_by_one_keyed_event_and_verifies(settings, system_actor):
    legacy = _legacy_trail()
    settings.AUDIT_CHECKPOINT_FILE.write_text(json.dumps({"seq": 4, "hash": legacy[-1].hash}) + "\n")

    _seal()

    sealing = AuditEvent.objects.get(seq=5)
    assert (sealing.action, sealing.key_id, sealing.prev_hash) == (
        "audit_keyed",
        "audit-test-1",
        legacy[-1].hash,
    )
    assert json.loads(sealing.detail) == {"sha256_until": 4}
    assert "intact: 5 event(s) checked" in _verify()
    assert "1 checkpoint(s)" in _verify()  # the old, unsigned checkpoint still agrees
    audit_record(actor=system_actor, action="view", object_type="person")
    assert "intact: 6 event(s) checked" in _verify()


def test_sealing_twice_or_an_empty_trail_appends_nothing():
    _seal()
    assert not AuditEvent.objects.exists()
    _legacy_trail()
    _seal()
    _seal()
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["view"] * 4 + ["audit_keyed"]


def test_an_unkeyed_event_rewritten_after_the_seal_is_detected():
    _legacy_trail()
    _seal()
    with append_only_triggers_dropped():
        AuditEvent.objects.filter(seq=2).update(action="search")
        # The attacker recomputes the SHA-256 chain up to the keyed event; its HMAC covers event 4.
        prev = AuditEvent.objects.get(seq=1).hash
        for event in AuditEvent.objects.filter(seq__in=[2, 3, 4]).order_by("seq"):
            payload = stored_event_bytes(event)
            prev = chain_hash(prev, payload)
            AuditEvent.objects.filter(pk=event.pk).update(hash=prev)
            AuditEvent.objects.filter(seq=event.seq + 1).update(prev_hash=prev)

    with pytest.raises(CommandError, match="broken at event 5: event 5 was changed"):
        _verify()


def test_an_unkeyed_event_after_keyed_ones_is_refused(system_actor):
    for _ in range(3):
        audit_record(actor=system_actor, action="view", object_type="person")
    with append_only_triggers_dropped():
        event = AuditEvent.objects.get(seq=3)
        AuditEvent.objects.filter(seq=3).update(key_id="", hash=chain_hash(event.prev_hash, b"x"))

    with pytest.raises(CommandError, match="event 3 is chained without the audit key after keyed events"):
        _verify()


# --------------------------------------------------------------------------- the head's triggers


def test_the_head_cannot_be_deleted_or_moved_back(system_actor):
    for _ in range(3):
        audit_record(actor=system_actor, action="view", object_type="person")
    for statement, message in [
        ("DELETE FROM audit_audithead", "cannot be removed"),
        ("UPDATE audit_audithead SET seq = 2", "only moves forward"),
        ("UPDATE audit_audithead SET hash = 'x'", "only moves forward"),
    ]:
        with pytest.raises(Exception, match=message), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    if connection.vendor == "postgresql":
        with pytest.raises(Exception, match="cannot be removed"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE audit_audithead")
    assert AuditHead.objects.get().seq == 3
    audit_record(actor=system_actor, action="view", object_type="person")  # forward is fine
    assert "intact: 4 event(s) checked" in _verify()
