"""rekisteri.db.sqlite3: write transactions queue on a file lock beside the database."""

from __future__ import annotations

import fcntl
import os

import pytest

from rekisteri import settings
from rekisteri.db.sqlite3.base import DatabaseWrapper, lock_path


def _wrapper(path) -> DatabaseWrapper:
    config = settings._database(f"sqlite:///{path}", "UNUSED")
    config.update(
        AUTOCOMMIT=True, ATOMIC_REQUESTS=False, CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=False, TIME_ZONE=None
    )
    return DatabaseWrapper(config, alias="lock-test")


def _is_free(path) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def test_the_register_uses_the_queueing_backend():
    config = settings._database("sqlite:////tmp/x/rekisteri.sqlite3", "UNUSED")
    assert config["ENGINE"] == "rekisteri.db.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_the_lock_file_sits_beside_the_database_and_memory_has_none(tmp_path):
    assert lock_path(tmp_path / "rekisteri.sqlite3") == tmp_path / "rekisteri.writelock"
    assert lock_path(":memory:") is None
    assert lock_path("file:memorydb?mode=memory&cache=shared") is None


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
def test_a_write_transaction_holds_the_lock_until_it_ends(tmp_path, outcome, django_db_blocker):
    with django_db_blocker.unblock():  # a database of this test's own, outside the test databases
        _write_and_end(tmp_path, outcome)


def _write_and_end(tmp_path, outcome: str) -> None:
    database = _wrapper(tmp_path / "x.sqlite3")
    lock = tmp_path / "x.writelock"
    try:
        with database.cursor() as cursor:
            cursor.execute("CREATE TABLE t (n integer)")
        assert _is_free(lock)
        try:
            with _atomic(database):
                with database.cursor() as cursor:
                    cursor.execute("INSERT INTO t VALUES (1)")
                assert not _is_free(lock)
                if outcome == "rollback":
                    raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert _is_free(lock)
        with database.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM t")
            assert cursor.fetchone()[0] == (1 if outcome == "commit" else 0)
    finally:
        database.close()
    assert _is_free(lock)


class _atomic:
    """transaction.atomic for a connection outside django.db.connections."""

    def __init__(self, database):
        self.database = database

    def __enter__(self):
        self.database.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.database.commit()
        else:
            self.database.rollback()
        self.database.set_autocommit(True)
