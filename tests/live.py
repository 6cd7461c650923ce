"""A real installation for tests that run rekisteri's own processes (a server, the CLI).

The test database lives inside one transaction of the test's process, so a child process
cannot see it: these helpers give it a database of its own instead, a SQLite file in the
test's directory or, when the suite runs on PostgreSQL, a scratch database beside the test
database, created fresh and dropped afterwards.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

MIGRATE_ALL = """
import django
django.setup()
from django.conf import settings
from django.core.management import call_command

for alias in settings.DATABASES:
    call_command("migrate", database=alias, interactive=False, verbosity=0)
"""


@contextmanager
def scratch_installation(tmp_path: Path, tag: str = "scratch") -> Iterator[dict[str, str]]:
    """The environment for child processes, pointing at a fresh, migrated database.

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
    database = settings.DATABASES["default"]
    scratch_name = None
    if database["ENGINE"] == "django.db.backends.postgresql":
        import psycopg

        # Named after this run's database, so parallel runs on other databases do not collide.
        scratch_name = f"{database['NAME']}_{tag}"
        params = {
            "host": database["HOST"] or None,
            "port": database["PORT"] or None,
            "user": database["USER"] or None,
            "password": database["PASSWORD"] or None,
        }

        def admin(sql: str) -> None:
            with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
                conn.execute(sql)

        # The key store gets a database of its own beside it (the settings derive its name).
        for name in (scratch_name, f"{scratch_name}_keys"):
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin(f'CREATE DATABASE "{name}"')
        user = urllib.parse.quote(database["USER"] or "")
        password = f":{urllib.parse.quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
        env["DATABASE_URL"] = (
            f"postgres://{user}{password}@{database['HOST'] or 'localhost'}:"
            f"{database['PORT'] or 5432}/{scratch_name}"
        )
    try:
        migrate = subprocess.run(
            [sys.executable, "-c", MIGRATE_ALL], env=env, capture_output=True, text=True, timeout=180
        )
        assert migrate.returncode == 0, migrate.stderr
        yield env
    finally:
        if scratch_name:
            for name in (scratch_name, f"{scratch_name}_keys"):
                admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
