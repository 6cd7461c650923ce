"""Replacing a live database with a backup's contents, all at once."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from django.db import connections

from rekisteri.backups.common import (
    BackupError,
    describe_target,
    pg_connection,
    sqlite_path,
    sqlite_readonly,
    sqlite_timeout,
    tables_of,
    tool,
)
from rekisteri.backups.inspect import (
    BackupInfo,
)


def sqlite_replace(alias: str, source: Path) -> None:
    """Copy a backup file into the live database through SQLite's backup API.

    The copy is one write transaction on the live database: other connections (a running
    server) see either the old or the new contents, and the WAL stays consistent with it.
    """
    target = sqlite_path(alias)
    connections[alias].close()
    if not target.exists():  # a new installation: the database file is private from the start
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        src = sqlite_readonly(source)
        dst = sqlite3.connect(target, timeout=sqlite_timeout(alias))
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


def pg_replace(alias: str, archive: Path, info: BackupInfo, *, prelude: str = "", postlude: str = "") -> None:
    """Replace the database's tables with the archive's, in one transaction.

    pg_restore writes the SQL (dropping and recreating every object of the archive), psql
    runs it between our BEGIN and COMMIT. Tables the archive lacks (from newer migrations)
    are dropped first, so the restored schema is exactly the backup's. If anything fails,
    COMMIT is never sent and the database is untouched.
    """
    extra = sorted(tables_of(alias) - info.tables)
    drops = "".join(f'DROP TABLE IF EXISTS public."{name}" CASCADE;\n' for name in extra)
    conninfo, env = pg_connection(alias)
    for name in list(connections):
        connections[name].close()
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        psql = subprocess.Popen(
            [
                tool("psql"),
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
                tool("pg_restore"),
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
                f"Restoring into {describe_target(alias)} failed; nothing was changed: {message}"
            )


def migrate_if_needed(alias: str) -> int:
    """Apply migrations the backup predates; returns how many."""
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", database=alias, interactive=False, verbosity=0)
    return len(plan)
