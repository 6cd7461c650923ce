"""Restoring the key store from a key backup, keeping every erasure made since."""

from __future__ import annotations

import os
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from django.conf import settings

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.backups.common import (
    KEYS,
    KEYSTORE_TABLES,
    BackupError,
    RestoreRefused,
    describe_target,
    refuse_live_file,
    register_ready,
    sqlite_path,
    sqlite_readonly,
    tables_of,
)
from rekisteri.backups.inspect import (
    BackupInfo,
    backup_inspect,
    backup_rows,
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
from rekisteri.keystore.models import DataKey, ErasureTombstone, IndexKey, KeyCheck
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import KeystoreError, keystore_verify, reset_state
from rekisteri.lib import crypto


@dataclass
class KeysRestore:
    source: Path
    vendor: str
    target: str
    dry_run: bool
    live_keys: int
    live_tombstones: int
    backup_keys: int
    backup_tombstones: int
    tombstones_merged: int  # live tombstones the backup lacks
    keys_dropped: int  # keys in the backup whose person is erased
    live_keys_kept: int  # live keys the backup lacks (persons created after it)
    migrations_applied: int = 0
    register_ready: bool = False
    journal_repaired: list[str] = field(default_factory=list)
    replayed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"The key store ({self.target}) holds {self.live_keys} data key(s) and {self.live_tombstones} "
            f"erasure tombstone(s). It would be replaced by the key backup {self.source} ({self.backup_keys} "
            f"data key(s), {self.backup_tombstones} tombstone(s)); {self.tombstones_merged} tombstone(s) of "
            f"later erasures are kept, {self.keys_dropped} key(s) of erased persons in the backup are "
            f"dropped, and {self.live_keys_kept} key(s) of persons added after the backup are kept."
        )


def _check_ring_against_backup(info: BackupInfo, ring) -> None:
    """Refuse a key backup the configured master keys cannot unwrap, before anything changes."""

    def ids_text(ids) -> str:
        return ", ".join(sorted(ids))

    try:
        checks = {
            str(row["master_key_id"]): bytes(row["check_value"])
            for row in backup_rows(info.path, "keystore_keycheck")
        }
        for key_id, blob in checks.items():
            if key_id in ring.key_ids:
                crypto.verify_key_check(ring, blob)
        samples: dict[str, tuple[str, bytes]] = {}
        for row in backup_rows(info.path, "keystore_datakey"):
            samples.setdefault(
                str(row["master_key_id"]), (str(UUID(str(row["person_id"]))), bytes(row["wrapped"]))
            )
        used = set(samples)
        used.update(str(row["master_key_id"]) for row in backup_rows(info.path, "keystore_indexkey"))
        missing = used - set(ring.key_ids)
        if missing:
            raise BackupError(
                f"The key backup's keys are wrapped under master key id(s) {ids_text(missing)}, but the "
                f"configured master key has id(s) {ids_text(ring.key_ids)}. Set REKISTERI_MASTER_KEY to "
                "the key the backup was made under; nothing was changed."
            )
        for key_id, (person_id, wrapped) in samples.items():
            if key_id not in checks:
                crypto.unwrap_data_key(ring, wrapped, person_id)
    except (crypto.WrongMasterKey, crypto.TamperedCiphertext) as exc:
        raise BackupError(
            f"Wrong master key: the configured master key cannot unwrap the key backup ({exc}). "
            "Set REKISTERI_MASTER_KEY to the key the backup was made under; nothing was changed."
        ) from None


def _model_columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def _merge_statements(vendor: str, live_tables: set[str]) -> tuple[str, str]:
    """SQL run around the restore: keep the live journal and newer keys, drop erased persons' keys.

    Returns (prelude, postlude). The prelude copies live rows aside (PostgreSQL: temporary
    tables in the restore's own transaction; SQLite: the live file is attached read-only).
    """
    keep = [m for m in (ErasureTombstone, DataKey, KeyCheck, IndexKey) if m._meta.db_table in live_tables]
    prelude, postlude = [], []
    tombstones = ErasureTombstone._meta.db_table
    keys = DataKey._meta.db_table
    for model in keep:
        table, cols = model._meta.db_table, ", ".join(_model_columns(model))
        if vendor == "postgresql":
            prelude.append(
                f"CREATE TEMP TABLE rk_keep_{table} ON COMMIT DROP AS SELECT {cols} FROM public.{table};"
            )
            postlude.append(
                f"INSERT INTO public.{table} ({cols}) SELECT {cols} FROM pg_temp.rk_keep_{table} "
                "ON CONFLICT DO NOTHING;"
            )
        else:
            postlude.append(f"INSERT OR IGNORE INTO main.{table} ({cols}) SELECT {cols} FROM live.{table};")
    schema = "public" if vendor == "postgresql" else "main"
    postlude.append(
        f"DELETE FROM {schema}.{keys} WHERE person_id IN (SELECT person_id FROM {schema}.{tombstones});"
    )
    return "\n".join(prelude) + "\n", "\n".join(postlude) + "\n"


def _sqlite_replace_keys(source: Path, live_tables: set[str]) -> None:
    """Build the merged key store in a private temporary file, then copy it in at once."""
    target = sqlite_path(KEYSTORE_DB)
    tmp = target.parent / f".keystore-restore-{secrets.token_hex(4)}.sqlite3"
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    _, postlude = _merge_statements("sqlite", live_tables)
    try:
        src = sqlite_readonly(source)
        work = sqlite3.connect(tmp.as_uri(), uri=True, isolation_level=None)
        try:
            src.backup(work)
            # Deleted keys must not linger in free pages of the file copied into place.
            work.execute("PRAGMA secure_delete=ON")
            work.execute("PRAGMA journal_mode=DELETE")
            if live_tables:
                work.execute("ATTACH DATABASE ? AS live", [f"{target.resolve().as_uri()}?mode=ro"])
            # isolation_level=None: the script runs as written, one transaction.
            work.executescript("BEGIN IMMEDIATE;\n" + postlude + "COMMIT;\n")
            if live_tables:
                work.execute("DETACH DATABASE live")
        finally:
            src.close()
            work.close()
        sqlite_replace(KEYSTORE_DB, tmp)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Cannot restore the key store into {target}: {exc}") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal")):
            leftover.unlink(missing_ok=True)


def _ids(rows, column: str) -> set[str]:
    return {str(UUID(str(row[column]))) for row in rows}


def restore_keys(
    src: Path | str, *, actor: Actor, replace: bool = False, dry_run: bool = False
) -> KeysRestore:
    """Replace the key store with a key backup, keeping every erasure made since.

    Tombstones in the live key store are merged into the restored one and the restored keys
    of every tombstoned person are dropped, in the same transaction as the restore, so an
    old key backup never makes an erased person readable again. Keys of persons created
    after the backup are kept. If the register is in place, the journal is replayed on it.
    """
    info = backup_inspect(src)
    refuse_live_file(info.path)
    check_compatible(info, KEYS, KEYSTORE_DB)
    try:
        ring = configured_ring()
    except KeystoreError as exc:
        raise BackupError(str(exc)) from None
    if ring is None:
        raise BackupError(
            f"No master key is configured (REKISTERI_MASTER_KEY is not set and "
            f"{settings.MASTER_KEY_FILE} does not exist). Set REKISTERI_MASTER_KEY to the key the "
            "backup was made under, or put that master.key file in place, then restore."
        )
    _check_ring_against_backup(info, ring)
    live_tables = tables_of(KEYSTORE_DB) & KEYSTORE_TABLES
    live_keys: set[str] = set()
    live_tombstones: set[str] = set()
    if DataKey._meta.db_table in live_tables:
        live_keys = {
            str(pid) for pid in DataKey.objects.using(KEYSTORE_DB).values_list("person_id", flat=True)
        }
    if ErasureTombstone._meta.db_table in live_tables:
        live_tombstones = {
            str(pid)
            for pid in ErasureTombstone.objects.using(KEYSTORE_DB).values_list("person_id", flat=True)
        }
    backup_keys = _ids(backup_rows(info.path, "keystore_datakey"), "person_id")
    backup_tombstones = _ids(backup_rows(info.path, "keystore_erasuretombstone"), "person_id")
    erased = backup_tombstones | live_tombstones
    report = KeysRestore(
        source=info.path,
        vendor=info.vendor,
        target=describe_target(KEYSTORE_DB),
        dry_run=dry_run,
        live_keys=len(live_keys),
        live_tombstones=len(live_tombstones),
        backup_keys=len(backup_keys),
        backup_tombstones=len(backup_tombstones),
        tombstones_merged=len(live_tombstones - backup_tombstones),
        keys_dropped=len(backup_keys & erased),
        live_keys_kept=len(live_keys - backup_keys - erased),
        register_ready=register_ready(),
    )
    if dry_run:
        return report
    if (live_keys or live_tombstones) and not replace:
        raise RestoreRefused(report.describe() + " Run again with --yes to replace it.")

    if info.vendor == "sqlite":
        _sqlite_replace_keys(info.path, live_tables)
    else:
        prelude, postlude = _merge_statements("postgresql", live_tables)
        pg_replace(KEYSTORE_DB, info.path, info, prelude=prelude, postlude=postlude)
    reset_state()
    report.migrations_applied = migrate_if_needed(KEYSTORE_DB)
    try:
        keystore_verify(ring)
    except KeystoreError as exc:  # pragma: no cover - checked against the backup above
        raise BackupError(f"The key store was restored, but {exc}") from None

    if report.register_ready:
        report.journal_repaired, _ = journal_enforce()
        audit_record(
            actor=actor,
            action="restore_keys",
            object_type="keystore",
            detail={
                "database": info.vendor,
                "data_keys": report.backup_keys - report.keys_dropped + report.live_keys_kept,
                "tombstones_merged": report.tombstones_merged,
                "keys_dropped": report.keys_dropped,
                "live_keys_kept": report.live_keys_kept,
                "journal_repaired": len(report.journal_repaired),
            },
        )
        report.replayed = erasure_replay(actor)
    return report
