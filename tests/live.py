"""A real installation for tests that run rekisteri's own processes (a server, the CLI).

The test database lives inside one transaction of the test's process, so a child process
cannot see it: these helpers give it a database of its own instead, a SQLite file in the
test's directory or, when the suite runs on PostgreSQL, a scratch database beside the test
database, created afresh and dropped afterwards.

Migrating a new installation from nothing costs several seconds of CPU, so it happens once per
test session: the template (`migrated_template`) is a copy of Django's test databases right
after their migration, or migrated on its own when the session made none; each installation
starts as a copy of it (the SQLite backup API, or `CREATE DATABASE ... TEMPLATE` on
PostgreSQL). The migration writes no key and nothing encrypted (the template checks that no
key was made), so a copy gets its own master key, audit key and secret key on first use, as a
freshly migrated one does. Tests about the migration from nothing itself (the first run
through ./run.sh, the data directory's file modes) still migrate on their own.
"""

from __future__ import annotations

import atexit
import http.client
import json
import os
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings

MIGRATE_ALL = """
import django
django.setup()
from django.core.management import call_command

# The register's database; `rekisteri migrate` migrates the key store's first.
call_command("migrate", interactive=False, verbosity=0)
"""

# The SQLite files of an embedded installation (settings.SQLITE_PATH, KEYSTORE_SQLITE_PATH).
SQLITE_FILES = ("rekisteri.sqlite3", "keystore.sqlite3")
# Settings that would point a child at the parent's databases or keys.
FOREIGN_ENV = {
    "DATABASE_URL",
    "KEYSTORE_DATABASE_URL",
    "REKISTERI_ENV",
    "REKISTERI_MASTER_KEY",
    "REKISTERI_AUDIT_KEY",
    "SECRET_KEY",
}


def on_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _pg_params() -> dict[str, Any]:
    database = settings.DATABASES["default"]
    return {
        "host": database["HOST"] or None,
        "port": database["PORT"] or None,
        "user": database["USER"] or None,
        "password": database["PASSWORD"] or None,
    }


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **_pg_params()) as conn:
        conn.execute(sql)


def pg_url(name: str) -> str:
    database = settings.DATABASES["default"]
    user = urllib.parse.quote(database["USER"] or "")
    password = f":{urllib.parse.quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
    return f"postgres://{user}{password}@{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}/{name}"


def pg_names(name: str) -> tuple[str, str]:
    """The register database and its key store (the settings derive the "_keys" name)."""
    return name, f"{name}_keys"


_templates: dict[bool, dict[str, Any]] = {}
# The key store's tables: a template holds no key, so each copy makes its own.
KEY_TABLES = ("keystore_datakey", "keystore_indexkey", "keystore_keycheck")


def _template_root() -> tuple[Path, Path]:
    root = Path(tempfile.mkdtemp(prefix="rekisteri-template-"))
    data_dir = root / "data"
    data_dir.mkdir(mode=0o700)
    return root, data_dir


def _template_databases() -> list[str]:
    # Named after this run's database, so parallel runs on other databases do not collide.
    return list(pg_names(f"{settings.DATABASES['default']['NAME']}_template"))


def _remove_at_exit(root: Path, databases: list[str]) -> None:
    def remove() -> None:
        shutil.rmtree(root, ignore_errors=True)
        for name in databases:
            try:
                pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception:  # noqa: BLE001 (the next run drops it before making it again)
                pass

    atexit.register(remove)


def template_from_test_databases() -> None:
    """Make the session's template a copy of Django's test databases, just migrated.

    Called (conftest.py, django_db_setup) once the test databases exist and before any test
    has written to them: they are what migrating a new installation gives, so the template
    costs a copy instead of a second migration from nothing.
    """
    from django.db import connections

    postgresql = on_postgresql()
    if postgresql in _templates:
        return  # a test that needed one before any test used the test databases made it
    root, data_dir = _template_root()
    databases: list[str] = []
    if postgresql:
        databases = _template_databases()
        _remove_at_exit(root, databases)
        sources = [connections[alias].settings_dict["NAME"] for alias in ("default", "keystore")]
        # A database with a session open cannot be a template; the tests reconnect.
        connections.close_all()
        for name, source in zip(databases, sources, strict=True):
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        import psycopg

        with psycopg.connect(dbname=databases[1], **_pg_params()) as keystore:
            counts = [keystore.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in KEY_TABLES]
    else:
        _remove_at_exit(root, databases)
        for alias, file_name in zip(("default", "keystore"), SQLITE_FILES, strict=True):
            connection = connections[alias]
            connection.ensure_connection()
            target = sqlite3.connect(data_dir / file_name)
            try:
                connection.connection.backup(target)
                # As rekisteri keeps its files; everything in the main file, no -wal beside it.
                target.execute("PRAGMA journal_mode=WAL")
                target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                target.close()
        with sqlite3.connect(data_dir / "keystore.sqlite3") as keystore:
            counts = [keystore.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in KEY_TABLES]
        keystore.close()
    # What makes a copy as good as a fresh installation: no key yet, so each copy makes its own.
    assert counts == [0] * len(KEY_TABLES), f"the test key store holds keys already: {counts}"
    _templates[postgresql] = {"data_dir": data_dir, "databases": databases}


def migrated_template(*, postgresql: bool) -> dict[str, Any]:
    """The session's migrated installation to copy from: {"data_dir", "databases"}.

    One on SQLite (files in "data_dir"), and on PostgreSQL when the suite runs there (the
    two "databases"). A copy of the test databases when the session made them, else migrated
    on first use; removed when the test process exits (a template left behind by a killed run
    is dropped by the next one before it is made again).
    """
    if postgresql in _templates:
        return _templates[postgresql]
    root, data_dir = _template_root()
    env = {key: value for key, value in os.environ.items() if key not in FOREIGN_ENV}
    env.update(
        REKISTERI_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="rekisteri.settings",
        REKISTERI_AUDIT_CHECKPOINT_FILE=str(root / "checkpoints.jsonl"),
    )
    databases: list[str] = []
    if postgresql:
        databases = _template_databases()
        for name in databases:
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            pg_admin(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = pg_url(databases[0])
    _remove_at_exit(root, databases)
    migrate = subprocess.run(
        [sys.executable, "-c", MIGRATE_ALL], env=env, capture_output=True, text=True, timeout=600
    )
    assert migrate.returncode == 0, migrate.stderr
    # What makes a copy as good as a fresh installation: the migration used no key, so
    # nothing in the databases depends on one and each copy makes its own.
    made_keys = sorted(path.name for path in data_dir.iterdir() if path.name.endswith(".key"))
    assert made_keys == [], f"the migration wrote {made_keys}: copies would need the same keys"
    if not databases:
        for file_name in SQLITE_FILES:
            # Everything in the main files, so no -wal is left beside them.
            with sqlite3.connect(data_dir / file_name) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
    _templates[postgresql] = {"data_dir": data_dir, "databases": databases}
    return _templates[postgresql]


def copy_template_files(data_dir: Path) -> None:
    """Put the template's SQLite files into data_dir (made mode 700 if missing), mode 600."""
    template = migrated_template(postgresql=False)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    for file_name in SQLITE_FILES:
        target_path = data_dir / file_name
        # Owner-only from the start, as rekisteri makes its own files.
        os.close(os.open(target_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        # Never a byte copy of a SQLite file (a -wal may exist): the backup API copies safely.
        source = sqlite3.connect(template["data_dir"] / file_name)
        target = sqlite3.connect(target_path)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()


def create_databases_from_template(name: str) -> list[str]:
    """PostgreSQL: the register database `name` and its key store, copies of the template."""
    template = migrated_template(postgresql=True)
    made = []
    for database, source in zip(pg_names(name), template["databases"], strict=True):
        pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        pg_admin(f'CREATE DATABASE "{database}" TEMPLATE "{source}"')
        made.append(database)
    return made


def drop_databases(names: list[str]) -> None:
    for name in names:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_installation(tmp_path: Path, tag: str = "scratch") -> Iterator[dict[str, str]]:
    """The environment for child processes, pointing at a fresh, migrated installation.

    `tag` names the PostgreSQL scratch database, so two tests of one run never share one.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "KEYSTORE_DATABASE_URL", "REKISTERI_ENV"}
    }
    env.update(
        REKISTERI_DATA_DIR=str(tmp_path / "data"),
        DJANGO_SETTINGS_MODULE="rekisteri.settings",
        REKISTERI_AUDIT_CHECKPOINT_FILE=str(tmp_path / "checkpoints.jsonl"),
    )
    made: list[str] = []
    try:
        if on_postgresql():
            # Named after this run's database, so parallel runs on other databases do not collide.
            scratch_name = f"{settings.DATABASES['default']['NAME']}_{tag}"
            made = create_databases_from_template(scratch_name)
            env["DATABASE_URL"] = pg_url(scratch_name)
        else:
            copy_template_files(tmp_path / "data")
        yield env
    finally:
        drop_databases(made)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(
    port: int, server: subprocess.Popen, *, timeout: float = 60, path: str = "/accounts/login/"
):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server exited: {server.communicate()[1]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not answer in time")


FORK_SERVER = r"""
import atexit, json, os, sys, traceback

import django

django.setup()
from django.db import connections

# A connection opened before the fork would be shared by every child: none may be.
if any(conn.connection is not None for conn in connections.all(initialized_only=True)):
    raise SystemExit("the fork server opened a database connection while setting Django up")
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
                os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
            sys.argv = request["argv"]
            if request["kind"] == "cli":
                from rekisteri.cli import main

                main(sys.argv)
            else:
                exec(compile(request["code"], "<string>", "exec"), {"__name__": "__main__"})
            code = 0
        except SystemExit as exc:
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                atexit._run_exitfuncs()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)
"""


class ForkServer:
    """Runs rekisteri's CLI and Python snippets as child processes of one installation, fast.

    A new `python -m rekisteri.cli` spends about a second importing rekisteri and setting
    Django up before its command starts; the backup tests start about a hundred. This server
    does that once for an installation's environment and forks a fresh child per command: the
    child starts where a new process would be after django.setup(), with no database connection
    and nothing cached (the server never opens one; it checks), and exits like one, its exit
    handlers run. What a command does to the databases, files and keys is the same as in a
    process of its own. A command that needs other environment variables than the installation's
    (a wrong master key, say) must still start a process of its own: settings are read at import.
    """

    def __init__(self, env: dict[str, str], workdir: Path):
        self.workdir = workdir
        self.numbers = iter(range(1, 1_000_000))
        self.log = (workdir / "fork-server.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-c", FORK_SERVER],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            # Its own process group: a command that hangs is killed with the server.
            start_new_session=True,
        )
        self._answer()

    def _answer(self, timeout: float = 300) -> dict[str, Any]:
        # As subprocess.run(timeout=300) did: a hung command fails its test, not the whole run.
        # (One line answers each request, so nothing waits in the pipe's buffer unseen.)
        if not select.select([self.process.stdout], [], [], timeout)[0]:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise AssertionError(f"a command run by the fork server took over {timeout:.0f} s")
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=30)
            raise AssertionError(f"the fork server stopped: {(self.workdir / 'fork-server.log').read_text()}")
        return json.loads(line)

    def run(self, kind: str, argv: list[str], code: str = "") -> subprocess.CompletedProcess:
        number = next(self.numbers)
        out, err = self.workdir / f"child-{number}.out", self.workdir / f"child-{number}.err"
        request = {"kind": kind, "argv": argv, "code": code, "stdout": str(out), "stderr": str(err)}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        returncode = self._answer()["returncode"]
        result = subprocess.CompletedProcess(argv, returncode, out.read_text(), err.read_text())
        out.unlink()
        err.unlink()
        return result

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self.log.close()
