"""Backups of the register and of the key store, and restores that respect erasure.

Modules: common (the two kinds, database access, safe file writing), inspect (reading a
backup file), snapshot (taking backups), replace (putting a backup's contents in place),
journal (the erasure journal after a restore), restore_register and restore_keys.

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
