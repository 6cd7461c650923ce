"""The erasure journal after a restore: every erasure known stays done."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.db import transaction

from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.keystore.models import DataKey, ErasureTombstone
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import load_master_ring, reset_state
from rekisteri.privacy.erasure import erasure_journal_replay


def configured_ring():
    """The master keys, if configured; never creates a key file (unlike load_master_ring)."""
    if settings.MASTER_KEY or Path(settings.MASTER_KEY_FILE).exists():
        return load_master_ring()
    return None


def journal_enforce() -> tuple[list[str], int]:
    """Make the key store agree with every erasure known: (ids re-journaled, keys destroyed).

    The register's audit trail is a second record of every erasure. After an older key
    backup was restored, a person erased between the two backups has rows in neither, but
    their key came back: their tombstone is put back. Then every tombstoned person's key
    is destroyed. Done here, with the models, so the replay that follows never needs the
    master key.
    """

    tombstones = ErasureTombstone.objects.using(KEYSTORE_DB)
    journal = {str(pid) for pid in tombstones.values_list("person_id", flat=True)}
    missing: dict[str, str] = {}
    events = AuditEvent.objects.filter(action="erase", object_type="person").values_list(
        "person_ids", "detail"
    )
    for person_ids, detail in events.iterator():
        reason = str(json.loads(detail or "{}").get("reason", "other"))
        for pid in json.loads(person_ids or "[]"):
            if str(UUID(pid)) not in journal:
                missing.setdefault(str(UUID(pid)), reason)
    with transaction.atomic(using=KEYSTORE_DB):
        for person_id, reason in missing.items():
            tombstones.get_or_create(person_id=person_id, defaults={"reason": reason[:200]})
        destroyed, _ = (
            DataKey.objects.using(KEYSTORE_DB).filter(person_id__in=tombstones.values("person_id")).delete()
        )
    reset_state()
    return sorted(missing), destroyed


def erasure_replay(actor: Actor) -> list[str]:
    return erasure_journal_replay(actor=actor)
