"""Backups of the register and of the key store, and restores that respect erasure.

Two kinds of backup, always separate files: the register (every table of the "default"
database; personal values only as ciphertext) and the key store (wrapped data keys and the
erasure journal). Neither is readable without the other and the master key.

- SQLite: `VACUUM INTO` writes a consistent, compacted single-file snapshot while the
  server keeps running (never copy a database file while a -wal file exists). A restore
  copies the backup into the live database with SQLite's backup API, so running
  connections and the WAL stay consistent.
- PostgreSQL: `pg_dump --format=custom`, restored by `pg_restore` piped into one `psql`
  transaction: either the whole backup is in place or nothing changed.

Erasure outlives every backup: the erasure journal (tombstones) lives in the live key
store. Restoring the register replays it, deleting again the rows of every person erased
after the backup was taken; restoring the key store merges the live journal into the
restored one and drops the restored keys of erased persons, so an old key backup cannot
make an erased person readable again.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError, connections, transaction

from rekisteri.audit.actor import Actor
from rekisteri.keystore.router import KEYSTORE_DB

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
REGISTER = "register"
KEYS = "keys"
# A table only the register has, and tables only the key store has.
_REGISTER_MARKER = "people_person"
_KEYSTORE_TABLES = {"keystore_datakey", "keystore_indexkey", "keystore_keycheck", "keystore_erasuretombstone"}
_AUDIT_TABLES = {"audit_auditevent", "audit_audithead", "audit_auditsubject"}
_BYTEA = re.compile(r"\\x(?:[0-9a-f]{2})*")


class BackupError(Exception):
    """A backup or restore cannot go ahead; the message says why and what to do."""


class RestoreRefused(BackupError):
    """The target holds data and replacing it was not confirmed."""


# --------------------------------------------------------------------------- helpers


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover


def _vendor(alias: str) -> str:
    return connections[alias].vendor


def _sqlite_path(alias: str) -> Path:
    name = str(settings.DATABASES[alias]["NAME"])
    if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        raise BackupError(f"The {alias!r} database is in memory; there is no file to back up or restore.")
    return Path(name)


def _sqlite_timeout(alias: str) -> float:
    return float(settings.DATABASES[alias].get("OPTIONS", {}).get("timeout", 20))


def _sqlite_readonly(path: Path, timeout: float = 20) -> sqlite3.Connection:
    # mode=ro never creates a missing file and never writes to the one it reads.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH: install the PostgreSQL client tools "
            f"(the same major version as the server, or newer)."
        )
    return found


def _pg_connection(alias: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the alias (no password in it) and the environment to use.

    The password goes through PGPASSWORD, so it never shows in the process list.
    """
    from psycopg import pq
    from psycopg.conninfo import make_conninfo

    database = settings.DATABASES[alias]
    known = {default.keyword.decode() for default in pq.Conninfo.get_defaults()}
    params: dict[str, Any] = {
        "dbname": database["NAME"],
        "host": database.get("HOST") or None,
        "port": str(database["PORT"]) if database.get("PORT") else None,
        "user": database.get("USER") or None,
    }
    for key, value in (database.get("OPTIONS") or {}).items():
        if key in known and key != "password" and value is not None:
            params[key] = str(value)
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    # An unreachable server should fail in seconds, not hang.
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return make_conninfo(**{key: value for key, value in params.items() if value is not None}), env


def _describe_target(alias: str) -> str:
    database = settings.DATABASES[alias]
    if _vendor(alias) == "sqlite":
        return str(database["NAME"])
    return f"PostgreSQL database {database['NAME']!r} on {database.get('HOST') or 'localhost'}"


def _tables(alias: str) -> set[str]:
    """The tables of a database, without creating a missing SQLite file."""
    if _vendor(alias) == "sqlite":
        path = _sqlite_path(alias)
        if not path.exists() or path.stat().st_size == 0:
            return set()
    try:
        with connections[alias].cursor() as cursor:
            return set(connections[alias].introspection.table_names(cursor))
    except DatabaseError as exc:
        raise BackupError(f"Cannot reach the {alias!r} database ({_describe_target(alias)}): {exc}") from None


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _destination(dest: Path, kind: str, vendor: str, force: bool) -> Path:
    """The file to write: DEST itself, or a timestamped file inside DEST if it is a directory."""
    dest = Path(dest).expanduser()
    if dest.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        suffix = "sqlite3" if vendor == "sqlite" else "pgdump"
        dest = dest / f"rekisteri-{kind}-{stamp}.{suffix}"
    if not dest.parent.is_dir():
        raise BackupError(f"The directory {dest.parent} does not exist.")
    _refuse_live_file(dest)
    if dest.exists() and not force:
        raise BackupError(f"{dest} already exists; use --force to overwrite it.")
    return dest


def _refuse_live_file(path: Path) -> None:
    """Never write a backup over, or restore from, a live database file."""
    for alias in ("default", KEYSTORE_DB):
        if _vendor(alias) != "sqlite":
            continue
        live = _sqlite_path(alias).resolve()
        if path.resolve() in {live, Path(f"{live}-wal"), Path(f"{live}-shm")}:
            raise BackupError(f"{path} is the live {alias!r} database, not a backup.")


def _temp_beside(dest: Path) -> Path:
    """A new, empty, owner-only file in the destination's directory (so rename is atomic)."""
    path = dest.parent / f".{dest.name}.{secrets.token_hex(4)}.tmp"
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    return path


def _publish(tmp: Path, dest: Path) -> int:
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, dest)
    _fsync_dir(dest.parent)
    return dest.stat().st_size


# --------------------------------------------------------------------------- reading backups


@dataclass
class BackupInfo:
    """What a backup file is, read without restoring it."""

    path: Path
    vendor: str  # "sqlite" or "postgresql"
    kind: str  # REGISTER or KEYS
    tables: set[str]
    migrations: set[tuple[str, str]]
    audit_head_seq: int | None = None


def _copy_unescape(value: str) -> str | None:
    """One field of PostgreSQL's COPY text format."""
    if value == "\\N":
        return None
    if "\\" not in value:
        return value
    simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}

    def replace(match: re.Match) -> str:
        token = match.group(1)
        if token in simple:
            return simple[token]
        if token[0] == "x" and len(token) > 1:
            return chr(int(token[1:], 16))
        if token[0] in "01234567":
            return chr(int(token, 8))
        return token

    return re.sub(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", replace, value)


def _pg_copy_rows(path: Path, table: str) -> Iterator[dict[str, Any]]:
    """The rows of one table of a pg_dump archive, as strings (bytea as bytes)."""
    process = subprocess.Popen(
        [_tool("pg_restore"), "--data-only", f"--table={table}", "--file=-", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert process.stdout is not None
    columns: list[str] | None = None
    header = re.compile(r"^COPY \S+ \((.*)\) FROM stdin;$")
    completed = False
    try:
        for line in process.stdout:
            line = line.rstrip("\n")
            if columns is None:
                match = header.match(line)
                if match:
                    columns = [name.strip().strip('"') for name in match.group(1).split(",")]
                continue
            if line == "\\.":
                columns = None
                continue
            values = [_copy_unescape(raw) for raw in line.split("\t")]
            row = dict(zip(columns, values, strict=False))
            for key, value in row.items():
                # bytea in COPY's text format: \x followed by hex digits.
                if isinstance(value, str) and _BYTEA.fullmatch(value):
                    row[key] = bytes.fromhex(value[2:])
            yield row
        completed = True
    finally:
        process.stdout.close()
        if not completed:  # the caller stopped early
            process.kill()
        error = process.stderr.read() if process.stderr else ""
        returncode = process.wait()
    if returncode != 0:
        raise BackupError(f"pg_restore cannot read {path}: {error.strip()}")


def backup_rows(path: Path | str, table: str) -> Iterator[dict[str, Any]]:
    """Rows of one table of a backup file, as stored (ids as stored, blobs as bytes)."""
    path = Path(path)
    with open(path, "rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if magic.startswith(PGDUMP_MAGIC):
        yield from _pg_copy_rows(path, table)
        return
    conn = _sqlite_readonly(path)
    try:
        conn.row_factory = sqlite3.Row
        exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [table]).fetchone()
        if exists is None:
            return
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            yield dict(row)
    finally:
        conn.close()


def _kind(path: Path, tables: set[str]) -> str:
    has_keys = bool(tables & _KEYSTORE_TABLES)
    if _REGISTER_MARKER in tables and not has_keys and _AUDIT_TABLES | {"django_migrations"} <= tables:
        return REGISTER
    if _KEYSTORE_TABLES | {"django_migrations"} <= tables and _REGISTER_MARKER not in tables:
        return KEYS
    raise BackupError(f"{path} is a database file, but not a rekisteri register or key-store backup.")


def backup_inspect(path: Path | str) -> BackupInfo:
    """Identify a backup file (format, register or key store) and check it can be read."""
    path = Path(path).expanduser()
    if not path.exists():
        raise BackupError(f"{path} does not exist.")
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    with open(path, "rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if magic == SQLITE_MAGIC:
        return _inspect_sqlite(path)
    if magic.startswith(PGDUMP_MAGIC):
        return _inspect_pgdump(path)
    raise BackupError(
        f"{path} is neither a SQLite backup nor a pg_dump custom-format archive made by "
        "`rekisteri backup` or `rekisteri backup-keys`."
    )


def _inspect_sqlite(path: Path) -> BackupInfo:
    try:
        conn = _sqlite_readonly(path)
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"{path} is damaged (SQLite quick_check: {check}).")
            # sqlite_sequence and friends are SQLite's own bookkeeping, not tables of ours.
            tables = {
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if not row[0].startswith("sqlite_")
            }
            migrations = set()
            if "django_migrations" in tables:
                migrations = {tuple(row) for row in conn.execute("SELECT app, name FROM django_migrations")}
            head = None
            if "audit_audithead" in tables:
                row = conn.execute("SELECT seq FROM audit_audithead WHERE id = 1").fetchone()
                head = row[0] if row else 0
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as a SQLite database: {exc}") from None
    return BackupInfo(path, "sqlite", _kind(path, tables), tables, migrations, head)


def _inspect_pgdump(path: Path) -> BackupInfo:
    listing = subprocess.run(
        [_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True, encoding="utf-8"
    )
    if listing.returncode != 0:
        raise BackupError(f"{path} cannot be read by pg_restore: {listing.stderr.strip()}")
    entry = re.compile(r"^\d+;\s+\d+\s+\d+\s+TABLE\s+(?!DATA\s)(\S+)\s+(\S+)\s")
    tables = {m.group(2) for m in map(entry.match, listing.stdout.splitlines()) if m}
    migrations = {(row["app"], row["name"]) for row in _pg_copy_rows(path, "django_migrations")}
    head = None
    if "audit_audithead" in tables:
        head = next((int(row["seq"]) for row in _pg_copy_rows(path, "audit_audithead")), 0)
    return BackupInfo(path, "postgresql", _kind(path, tables), tables, migrations, head)


def backup_person_ids(info: BackupInfo) -> set[UUID]:
    return {UUID(str(row["id"])) for row in backup_rows(info.path, "people_person")}


def _check_compatible(info: BackupInfo, kind: str, alias: str) -> None:
    from django.db.migrations.loader import MigrationLoader

    if info.kind != kind:
        if info.kind == KEYS:
            raise BackupError(
                f"{info.path} is a key-store backup; restore it with `rekisteri restore --keys {info.path}`."
            )
        raise BackupError(
            f"{info.path} is a register backup; restore it with `rekisteri restore {info.path}` "
            "(without --keys)."
        )
    vendor = _vendor(alias)
    if info.vendor != vendor:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"{info.path} is a {names[info.vendor]} backup, but this installation's {alias!r} database "
            f"is {names.get(vendor, vendor)}. Restore it into an installation of the same kind."
        )
    loader = MigrationLoader(None, ignore_no_migrations=True)
    unknown = sorted(
        f"{app}.{name}"
        for app, name in info.migrations
        if app in loader.migrated_apps and (app, name) not in loader.disk_migrations
    )
    if unknown:
        raise BackupError(
            f"{info.path} was made by a newer version of rekisteri (it has migrations this version does "
            f"not know: {', '.join(unknown[:5])}). Upgrade rekisteri, then restore."
        )


# --------------------------------------------------------------------------- backups


@dataclass
class BackupResult:
    path: Path
    size: int
    kind: str
    vendor: str
    audit_head_seq: int | None = None
    counts: dict[str, int] = field(default_factory=dict)


def _sqlite_snapshot(alias: str, dest: Path) -> int:
    source = _sqlite_path(alias)
    tmp = _temp_beside(dest)
    try:
        conn = _sqlite_readonly(source, _sqlite_timeout(alias))
        try:
            # One read transaction: a consistent snapshot while writers carry on (WAL), and
            # compacted, so no freed page of an erased row travels into the backup.
            conn.execute("VACUUM INTO ?", [str(tmp)])
        finally:
            conn.close()
        return _publish(tmp, dest)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Cannot back up {source}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _pg_snapshot(alias: str, dest: Path) -> int:
    conninfo, env = _pg_connection(alias)
    tmp = _temp_beside(dest)
    try:
        with open(tmp, "wb") as out:
            # pg_dump reads one snapshot (REPEATABLE READ) and never blocks the server's writers.
            dump = subprocess.run(
                [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--dbname", conninfo],
                stdout=out,
                stderr=subprocess.PIPE,
                text=False,
                env=env,
            )
        if dump.returncode != 0:
            message = dump.stderr.decode("utf-8", "replace").strip()
            raise BackupError(f"pg_dump failed for {_describe_target(alias)}: {message}")
        return _publish(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _snapshot(alias: str, dest: Path, kind: str, force: bool) -> BackupResult:
    vendor = _vendor(alias)
    required = {_REGISTER_MARKER} if kind == REGISTER else _KEYSTORE_TABLES
    if not required <= _tables(alias):
        raise BackupError(
            f"There is nothing to back up: the {'register' if kind == REGISTER else 'key store'} database "
            f"({_describe_target(alias)}) has no rekisteri tables. Has `rekisteri migrate` been run?"
        )
    dest = _destination(dest, kind, vendor, force)
    size = _sqlite_snapshot(alias, dest) if vendor == "sqlite" else _pg_snapshot(alias, dest)
    info = backup_inspect(dest)
    if info.kind != kind:  # pragma: no cover - the router keeps the two apart
        dest.unlink()
        raise BackupError(f"The {alias!r} database does not hold a rekisteri {kind}; nothing was kept.")
    return BackupResult(dest, size, kind, vendor, info.audit_head_seq)


def _register_ready() -> bool:
    tables = _tables("default")
    return _AUDIT_TABLES <= tables and _REGISTER_MARKER in tables


def backup_register(dest: Path | str, *, actor: Actor, force: bool = False) -> BackupResult:
    """Write a consistent snapshot of the register database (no keys in it) to DEST."""
    result = _snapshot("default", Path(dest), REGISTER, force)
    from rekisteri.audit.services import audit_record

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
    result = _snapshot(KEYSTORE_DB, Path(dest), KEYS, force)
    result.counts = {
        "data_keys": sum(1 for _ in backup_rows(result.path, "keystore_datakey")),
        "tombstones": sum(1 for _ in backup_rows(result.path, "keystore_erasuretombstone")),
    }
    if _register_ready():
        from rekisteri.audit.services import audit_record

        audit_record(
            actor=actor,
            action="backup_keys",
            object_type="keystore",
            detail={"database": result.vendor, **result.counts, "bytes": result.size},
        )
    return result


# --------------------------------------------------------------------------- replacing a database


def _sqlite_replace(alias: str, source: Path) -> None:
    """Copy a backup file into the live database through SQLite's backup API.

    The copy is one write transaction on the live database: other connections (a running
    server) see either the old or the new contents, and the WAL stays consistent with it.
    """
    target = _sqlite_path(alias)
    connections[alias].close()
    if not target.exists():  # a new installation: the database file is private from the start
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        src = _sqlite_readonly(source)
        dst = sqlite3.connect(target, timeout=_sqlite_timeout(alias))
        try:
            src.backup(dst)
            # Leave no page images of the replaced contents in the write-ahead log.
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            src.close()
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Cannot restore into {target}: {exc}") from None
    finally:
        connections[alias].close()


def _pg_replace(
    alias: str, archive: Path, info: BackupInfo, *, prelude: str = "", postlude: str = ""
) -> None:
    """Replace the database's tables with the archive's, in one transaction.

    pg_restore writes the SQL (dropping and recreating every object of the archive), psql
    runs it between our BEGIN and COMMIT. Tables the archive lacks (from newer migrations)
    are dropped first, so the restored schema is exactly the backup's. If anything fails,
    COMMIT is never sent and the database is untouched.
    """
    extra = sorted(_tables(alias) - info.tables)
    drops = "".join(f'DROP TABLE IF EXISTS public."{name}" CASCADE;\n' for name in extra)
    conninfo, env = _pg_connection(alias)
    for name in list(connections):
        connections[name].close()
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        psql = subprocess.Popen(
            [
                _tool("psql"),
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                "--dbname",
                conninfo,
                "--file=-",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env=env,
        )
        restore = subprocess.Popen(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--file=-",
                str(archive),
            ],
            stdout=subprocess.PIPE,
            stderr=restore_err,
            env=env,
        )
        assert psql.stdin is not None and restore.stdout is not None
        try:
            psql.stdin.write(("BEGIN;\n" + prelude + drops).encode())
            shutil.copyfileobj(restore.stdout, psql.stdin, 1 << 20)
            if restore.wait() == 0:
                psql.stdin.write((postlude + "\nCOMMIT;\n").encode())
        except BrokenPipeError:
            pass  # psql stopped at an error: it reports below
        finally:
            restore.stdout.close()
            restore.wait()
            try:
                psql.stdin.close()
            except BrokenPipeError:
                pass
            psql.wait()
        if restore.returncode != 0:
            restore_err.seek(0)
            message = restore_err.read().decode("utf-8", "replace").strip()
            raise BackupError(f"pg_restore failed; nothing was changed: {message}")
        if psql.returncode != 0:
            psql_err.seek(0)
            message = psql_err.read().decode("utf-8", "replace").strip()
            raise BackupError(
                f"Restoring into {_describe_target(alias)} failed; nothing was changed: {message}"
            )


def _migrate_if_needed(alias: str) -> int:
    """Apply migrations the backup predates; returns how many."""
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", database=alias, interactive=False, verbosity=0)
    return len(plan)


def _configured_ring():
    """The master keys, if configured; never creates a key file (unlike load_master_ring)."""
    from rekisteri.keystore.services import load_master_ring

    if settings.MASTER_KEY or Path(settings.MASTER_KEY_FILE).exists():
        return load_master_ring()
    return None


# --------------------------------------------------------------------------- journal


def _journal_enforce() -> tuple[list[str], int]:
    """Make the key store agree with every erasure known: (ids re-journaled, keys destroyed).

    The register's audit trail is a second record of every erasure. After an older key
    backup was restored, a person erased between the two backups has rows in neither, but
    their key came back: their tombstone is put back. Then every tombstoned person's key
    is destroyed. Done here, with the models, so the replay that follows never needs the
    master key.
    """
    import json

    from rekisteri.audit.models import AuditEvent
    from rekisteri.keystore.models import DataKey, ErasureTombstone
    from rekisteri.keystore.services import reset_state

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


def _erasure_replay(actor: Actor) -> list[str]:
    from rekisteri.privacy.erasure import erasure_journal_replay

    return erasure_journal_replay(actor=actor)


# --------------------------------------------------------------------------- restoring the register


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
    tables = _tables("default")
    if _REGISTER_MARKER not in tables:
        return 0, 0, bool(tables - {"django_migrations"})
    from django.contrib.auth import get_user_model

    from rekisteri.audit.models import AuditEvent, AuditHead
    from rekisteri.people.models import Person

    persons = Person.objects.count()
    head = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    holds = persons > 0 or AuditEvent.objects.exists() or get_user_model().objects.exists()
    return persons, head, holds


def _keyless_persons() -> int:
    from rekisteri.keystore.models import DataKey
    from rekisteri.people.models import Person

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
    from rekisteri.audit.models import AuditEvent
    from rekisteri.audit.services import read_checkpoints

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
    from rekisteri.audit.models import AuditHead
    from rekisteri.audit.services import audit_checkpoint, audit_record, audit_verify
    from rekisteri.keystore.services import KeystoreError, erased_person_ids, keystore_verify, reset_state
    from rekisteri.people.models import Person

    info = backup_inspect(src)
    _refuse_live_file(info.path)
    _check_compatible(info, REGISTER, "default")
    if "keystore_erasuretombstone" not in _tables(KEYSTORE_DB):
        raise BackupError(
            "The key store has no erasure journal yet, so erasures made after the backup could not be "
            "replayed. Restore the key store first (`rekisteri restore --keys KEY-BACKUP`), or run "
            "`rekisteri migrate` if this installation never had one."
        )
    live_persons, live_head, holds_data = _register_summary()
    report = RegisterRestore(
        source=info.path,
        vendor=info.vendor,
        target=_describe_target("default"),
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
        _sqlite_replace("default", info.path)
    else:
        _pg_replace("default", info.path, info)
    reset_state()
    report.migrations_applied = _migrate_if_needed("default")

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report.checkpoints_archived = _checkpoints_archive_if_rolled_back(stamp)
    restored_head = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    report.backup_head_seq = restored_head
    report.journal_repaired, keys_destroyed = _journal_enforce()
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
    report.replayed = _erasure_replay(actor)
    audit_checkpoint()
    report.verify = audit_verify()
    report.persons_after = Person.objects.count()
    report.persons_without_key = _keyless_persons()
    try:
        ring = _configured_ring()
        if ring is None:
            report.key_problem = "no master key is configured (REKISTERI_MASTER_KEY or the master.key file)"
        else:
            keystore_verify(ring)
    except KeystoreError as exc:
        report.key_problem = str(exc)
    return report


# --------------------------------------------------------------------------- restoring the key store


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
    from rekisteri.lib import crypto

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
    from rekisteri.keystore.models import DataKey, ErasureTombstone, IndexKey, KeyCheck

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
    target = _sqlite_path(KEYSTORE_DB)
    tmp = target.parent / f".keystore-restore-{secrets.token_hex(4)}.sqlite3"
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    _, postlude = _merge_statements("sqlite", live_tables)
    try:
        src = _sqlite_readonly(source)
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
        _sqlite_replace(KEYSTORE_DB, tmp)
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
    from rekisteri.keystore.models import DataKey, ErasureTombstone
    from rekisteri.keystore.services import KeystoreError, keystore_verify, reset_state

    info = backup_inspect(src)
    _refuse_live_file(info.path)
    _check_compatible(info, KEYS, KEYSTORE_DB)
    try:
        ring = _configured_ring()
    except KeystoreError as exc:
        raise BackupError(str(exc)) from None
    if ring is None:
        raise BackupError(
            f"No master key is configured (REKISTERI_MASTER_KEY is not set and "
            f"{settings.MASTER_KEY_FILE} does not exist). Set REKISTERI_MASTER_KEY to the key the "
            "backup was made under, or put that master.key file in place, then restore."
        )
    _check_ring_against_backup(info, ring)
    live_tables = _tables(KEYSTORE_DB) & _KEYSTORE_TABLES
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
        target=_describe_target(KEYSTORE_DB),
        dry_run=dry_run,
        live_keys=len(live_keys),
        live_tombstones=len(live_tombstones),
        backup_keys=len(backup_keys),
        backup_tombstones=len(backup_tombstones),
        tombstones_merged=len(live_tombstones - backup_tombstones),
        keys_dropped=len(backup_keys & erased),
        live_keys_kept=len(live_keys - backup_keys - erased),
        register_ready=_register_ready(),
    )
    if dry_run:
        return report
    if (live_keys or live_tombstones) and not replace:
        raise RestoreRefused(report.describe() + " Run again with --yes to replace it.")

    if info.vendor == "sqlite":
        _sqlite_replace_keys(info.path, live_tables)
    else:
        prelude, postlude = _merge_statements("postgresql", live_tables)
        _pg_replace(KEYSTORE_DB, info.path, info, prelude=prelude, postlude=postlude)
    reset_state()
    report.migrations_applied = _migrate_if_needed(KEYSTORE_DB)
    try:
        keystore_verify(ring)
    except KeystoreError as exc:  # pragma: no cover - checked against the backup above
        raise BackupError(f"The key store was restored, but {exc}") from None

    if report.register_ready:
        from rekisteri.audit.services import audit_record

        report.journal_repaired, _ = _journal_enforce()
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
        report.replayed = _erasure_replay(actor)
    return report
