"""Restoring the register from a backup, then replaying the erasure journal."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings

from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent, AuditHead
from rekisteri.audit.services import audit_checkpoint, audit_record, audit_verify, read_checkpoints
from rekisteri.backups.common import (
    REGISTER,
    REGISTER_MARKER,
    BackupError,
    RestoreRefused,
    describe_target,
    refuse_live_file,
    tables_of,
)
from rekisteri.backups.inspect import (
    backup_inspect,
    backup_person_ids,
    check_compatible,
)
from rekisteri.backups.journal import (
    configured_ring,
    erasure_replay,
    journal_enforce,
)
from rekisteri.backups.replace import (
    migrate_if_needed,
    pg_replace,
    sqlite_replace,
)
from rekisteri.keystore.models import DataKey
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import KeystoreError, erased_person_ids, keystore_verify, reset_state
from rekisteri.people.models import Person


@dataclass
class RegisterRestore:
    source: Path
    vendor: str
    target: str
    dry_run: bool
    live_persons: int
    live_head_seq: int
    backup_head_seq: int
    backup_persons: int | None = None
    erased_in_backup: int | None = None
    migrations_applied: int = 0
    journal_repaired: list[str] = field(default_factory=list)
    replayed: list[str] = field(default_factory=list)
    persons_after: int = 0
    persons_without_key: int = 0
    checkpoints_archived: Path | None = None
    verify: Any = None
    key_problem: str = ""

    def describe(self) -> str:
        text = (
            f"The register database ({self.target}) holds {self.live_persons} person(s) and an audit "
            f"trail up to event {self.live_head_seq}. It would be replaced by the backup {self.source} "
            f"(audit trail up to event {self.backup_head_seq}"
        )
        if self.backup_persons is not None:
            text += f", {self.backup_persons} person(s)"
        text += ")."
        if self.erased_in_backup:
            text += (
                f" {self.erased_in_backup} person(s) in the backup were erased after it was taken and "
                "will be removed again."
            )
        return text


def _register_summary() -> tuple[int, int, bool]:
    """(persons, audit head, holds data) of the live register; zeros when it has no tables."""
    tables = tables_of("default")
    if REGISTER_MARKER not in tables:
        return 0, 0, bool(tables - {"django_migrations"})
    from django.contrib.auth import get_user_model

    persons = Person.objects.count()
    head = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    holds = persons > 0 or AuditEvent.objects.exists() or get_user_model().objects.exists()
    return persons, head, holds


def _keyless_persons() -> int:
    missing = 0
    ids = list(Person.objects.values_list("pk", flat=True))
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        have = set(
            DataKey.objects.using(KEYSTORE_DB).filter(person_id__in=chunk).values_list("person_id", flat=True)
        )
        missing += sum(1 for pid in chunk if pid not in have)
    return missing


def _checkpoints_archive_if_rolled_back(stamp: str) -> Path | None:
    """Move the checkpoint file aside when it vouches for events the restored trail lacks.

    The file is never deleted or edited: it stays beside the new one as the record of the
    trail before the restore, and the "restore" audit event says it was archived.
    """
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    if not path.exists():
        return None
    try:
        checkpoints = read_checkpoints(path)
    except ValueError:
        checkpoints = None
    agrees = checkpoints is not None and all(
        cp["seq"] == 0 or AuditEvent.objects.filter(seq=cp["seq"], hash=cp["hash"]).exists()
        for cp in checkpoints
    )
    if agrees:
        return None
    archived = path.with_name(f"{path.name}.before-restore-{stamp}")
    os.replace(path, archived)
    return archived


def restore_register(
    src: Path | str, *, actor: Actor, replace: bool = False, dry_run: bool = False
) -> RegisterRestore:
    """Replace the register database with a backup, then replay the erasure journal.

    Persons erased after the backup was taken are deleted again (their keys are already
    gone, so their ciphertexts were unreadable even in the backup file). The audit trail
    is rolled back to the backup's head; a "restore" event records that, and checkpoints
    taken of the newer trail are archived beside the new checkpoint file.
    """
    info = backup_inspect(src)
    refuse_live_file(info.path)
    check_compatible(info, REGISTER, "default")
    if "keystore_erasuretombstone" not in tables_of(KEYSTORE_DB):
        raise BackupError(
            "The key store has no erasure journal yet, so erasures made after the backup could not be "
            "replayed. Restore the key store first (`rekisteri restore --keys KEY-BACKUP`), or run "
            "`rekisteri migrate` if this installation never had one."
        )
    live_persons, live_head, holds_data = _register_summary()
    report = RegisterRestore(
        source=info.path,
        vendor=info.vendor,
        target=describe_target("default"),
        dry_run=dry_run,
        live_persons=live_persons,
        live_head_seq=live_head,
        backup_head_seq=info.audit_head_seq or 0,
    )
    if dry_run:
        backup_ids = backup_person_ids(info)
        report.backup_persons = len(backup_ids)
        report.erased_in_backup = len(backup_ids & {UUID(str(pid)) for pid in erased_person_ids()})
        return report
    if holds_data and not replace:
        raise RestoreRefused(report.describe() + " Run again with --yes to replace it.")

    if info.vendor == "sqlite":
        sqlite_replace("default", info.path)
    else:
        pg_replace("default", info.path, info)
    reset_state()
    report.migrations_applied = migrate_if_needed("default")

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report.checkpoints_archived = _checkpoints_archive_if_rolled_back(stamp)
    restored_head = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    report.backup_head_seq = restored_head
    report.journal_repaired, keys_destroyed = journal_enforce()
    audit_record(
        actor=actor,
        action="restore",
        object_type="register",
        detail={
            "database": info.vendor,
            "backup_head_seq": restored_head,
            "previous_head_seq": live_head,
            "checkpoints_archived": report.checkpoints_archived is not None,
            "migrations_applied": report.migrations_applied,
            "journal_repaired": len(report.journal_repaired),
            "keys_destroyed": keys_destroyed,
        },
    )
    report.replayed = erasure_replay(actor)
    audit_checkpoint()
    report.verify = audit_verify()
    report.persons_after = Person.objects.count()
    report.persons_without_key = _keyless_persons()
    try:
        ring = configured_ring()
        if ring is None:
            report.key_problem = "no master key is configured (REKISTERI_MASTER_KEY or the master.key file)"
        else:
            keystore_verify(ring)
    except KeystoreError as exc:
        report.key_problem = str(exc)
    return report
