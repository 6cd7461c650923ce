"""Taking backups: a consistent online snapshot of the register or of the key store."""

from __future__ import annotations

import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.backups.common import (
    KEYS,
    KEYSTORE_TABLES,
    REGISTER,
    REGISTER_MARKER,
    BackupError,
    describe_target,
    destination,
    pg_connection,
    publish,
    register_ready,
    sqlite_path,
    sqlite_readonly,
    sqlite_timeout,
    tables_of,
    temp_beside,
    tool,
    vendor_of,
)
from rekisteri.backups.inspect import (
    backup_inspect,
    backup_rows,
)
from rekisteri.keystore.router import KEYSTORE_DB


@dataclass
class BackupResult:
    path: Path
    size: int
    kind: str
    vendor: str
    audit_head_seq: int | None = None
    counts: dict[str, int] = field(default_factory=dict)


def _sqlite_snapshot(alias: str, dest: Path) -> int:
    source = sqlite_path(alias)
    tmp = temp_beside(dest)
    try:
        conn = sqlite_readonly(source, sqlite_timeout(alias))
        try:
            # One read transaction: a consistent snapshot while writers carry on (WAL), and
            # compacted, so no freed page of an erased row travels into the backup.
            conn.execute("VACUUM INTO ?", [str(tmp)])
        finally:
            conn.close()
        return publish(tmp, dest)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Cannot back up {source}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _pg_snapshot(alias: str, dest: Path) -> int:
    conninfo, env = pg_connection(alias)
    tmp = temp_beside(dest)
    try:
        with open(tmp, "wb") as out:
            # pg_dump reads one snapshot (REPEATABLE READ) and never blocks the server's writers.
            dump = subprocess.run(
                [tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--dbname", conninfo],
                stdout=out,
                stderr=subprocess.PIPE,
                text=False,
                env=env,
            )
        if dump.returncode != 0:
            message = dump.stderr.decode("utf-8", "replace").strip()
            raise BackupError(f"pg_dump failed for {describe_target(alias)}: {message}")
        return publish(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _snapshot(alias: str, dest: Path | str, kind: str, force: bool) -> BackupResult:
    vendor = vendor_of(alias)
    required = {REGISTER_MARKER} if kind == REGISTER else KEYSTORE_TABLES
    if not required <= tables_of(alias):
        raise BackupError(
            f"There is nothing to back up: the {'register' if kind == REGISTER else 'key store'} database "
            f"({describe_target(alias)}) has no rekisteri tables. Has `rekisteri migrate` been run?"
        )
    dest = destination(dest, kind, vendor, force)
    size = _sqlite_snapshot(alias, dest) if vendor == "sqlite" else _pg_snapshot(alias, dest)
    info = backup_inspect(dest)
    if info.kind != kind:  # pragma: no cover - the router keeps the two apart
        dest.unlink()
        raise BackupError(f"The {alias!r} database does not hold a rekisteri {kind}; nothing was kept.")
    return BackupResult(dest, size, kind, vendor, info.audit_head_seq)


def backup_register(dest: Path | str, *, actor: Actor, force: bool = False) -> BackupResult:
    """Write a consistent snapshot of the register database (no keys in it) to DEST."""
    result = _snapshot("default", dest, REGISTER, force)
    # A backup is a copy of everyone's (encrypted) data: the trail records that one was taken.
    audit_record(
        actor=actor,
        action="backup",
        object_type="register",
        detail={"database": result.vendor, "backup_head_seq": result.audit_head_seq, "bytes": result.size},
    )
    return result


def backup_keys(dest: Path | str, *, actor: Actor, force: bool = False) -> BackupResult:
    """Write a consistent snapshot of the key store (wrapped keys, erasure journal) to DEST."""
    result = _snapshot(KEYSTORE_DB, dest, KEYS, force)
    result.counts = {
        "data_keys": sum(1 for _ in backup_rows(result.path, "keystore_datakey")),
        "tombstones": sum(1 for _ in backup_rows(result.path, "keystore_erasuretombstone")),
    }
    if register_ready():
        audit_record(
            actor=actor,
            action="backup_keys",
            object_type="keystore",
            detail={"database": result.vendor, **result.counts, "bytes": result.size},
        )
    return result
