"""Django's SQLite backend, with writers queueing on a file lock instead of SQLite's busy wait.

SQLite lets one writer at a time hold a database's write lock. A connection that finds it
taken is put to sleep by SQLite's busy handler in growing steps (1, 2, 5, 10, 15, 20, 25,
50, 100 ms) and looks again; with several server processes writing, the lock is often free
long before a sleeper wakes, and the tail of every write grows (benchmarks/README.md, the
single-write path). Here a write transaction (BEGIN IMMEDIATE, which Django issues for
every outermost `transaction.atomic()` on this backend) first takes an exclusive `flock`
on a lock file beside the database: waiting writers sleep in the kernel and the next one
wakes the moment the holder commits or rolls back. SQLite's own locking is untouched (the
flock only orders writers before they ask for it), and so is durability: commits are as
synchronous as the init command makes them.

Writes outside a transaction (autocommit) and other programs do not take the file lock;
they still meet SQLite's lock and busy timeout, as before.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from django.db.backends.sqlite3 import base


def lock_path(database_name) -> Path | None:
    """The lock file of a database file ("rekisteri.sqlite3" -> "rekisteri.writelock"), or
    None for an in-memory database (one process: nothing to queue)."""
    name = str(database_name)
    if not name or name == ":memory:" or "mode=memory" in name:
        return None
    path = Path(name.removeprefix("file:").split("?", 1)[0])
    return path.with_name(path.stem + ".writelock")


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _lock_held = False

    def _write_lock_acquire(self) -> None:
        if self._lock_held or self.is_in_memory_db():
            return
        if self._lock_fd is None:
            path = lock_path(self.settings_dict["NAME"])
            if path is None:
                return
            self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._lock_held = True

    def _write_lock_release(self) -> None:
        if self._lock_held:
            self._lock_held = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self):
        self._write_lock_acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._write_lock_release()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            if self.connection is None or self.connection.in_transaction is False:
                self._write_lock_release()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._write_lock_release()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._write_lock_release()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
