"""The embedded database's settings: every connection gets the same durable, private set-up."""

import os
import sqlite3
import subprocess
import sys

from rekisteri import settings


def test_the_init_command_makes_a_durable_wal_database_with_a_large_page_cache(tmp_path):
    options = settings._database(f"sqlite:///{tmp_path / 'x.sqlite3'}", "UNUSED")["OPTIONS"]
    connection = sqlite3.connect(tmp_path / "x.sqlite3")
    connection.executescript(options["init_command"])
    pragma = {
        name: connection.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "synchronous", "secure_delete", "foreign_keys", "cache_size")
    }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "secure_delete": 1,
        "foreign_keys": 1,
        "cache_size": -64 * 1024,  # KiB: 64 MB
    }
    assert options["transaction_mode"] == "IMMEDIATE"


def test_a_page_cache_below_sqlites_default_is_refused_at_start_up():
    env = {**os.environ, "REKISTERI_SQLITE_CACHE_MB": "1", "DJANGO_SETTINGS_MODULE": "rekisteri.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "REKISTERI_SQLITE_CACHE_MB must be at least 2" in result.stderr


def test_postgresql_connections_plan_prepared_statements_once_keeping_options_of_the_url():
    plain = settings._database("postgres://u@db.example/rekisteri", "UNUSED")["OPTIONS"]
    assert plain["options"] == "-c plan_cache_mode=force_generic_plan"
    given = settings._database(
        "postgres://u@db.example/rekisteri?sslmode=require&options=-c%20statement_timeout%3D5000", "UNUSED"
    )["OPTIONS"]
    assert given["sslmode"] == "require"
    assert given["options"] == "-c statement_timeout=5000 -c plan_cache_mode=force_generic_plan"
