"""Data keys: creating, finding, destroying and rotating them.

Everything here talks to the "keystore" database. Unwrapped keys live only in this
process's memory (a small LRU) and only while their wrapped form still exists.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from rekisteri.db.bulk_insert import insert_rows
from rekisteri.db.compiled_query import padded_to_power_of_two
from rekisteri.db.id_set import id_set_where
from rekisteri.db.prepared import prepared_cursor
from rekisteri.keystore.models import DataKey, ErasureTombstone, IndexKey, KeyCheck
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.lib import crypto
from rekisteri.lib.blind_index import BlindIndexer, generate_index_key
from rekisteri.lib.ids import uuid7, uuid7_many


class KeystoreError(RuntimeError):
    """The key store cannot be used: wrong or missing master key. Fatal at start-up."""


class KeyDestroyed(LookupError):
    """The person's data key does not exist (erased): their ciphertexts are unreadable."""

    def __init__(self, person_id):
        super().__init__(f"the data key of person {person_id} does not exist (erased or never created)")
        self.person_id = person_id


_lock = threading.RLock()
# Ciphers already looked up during the current request or command, so a page showing one
# person's fifty interactions asks the key store once. Scoped, so an erasure elsewhere is
# seen by the next request.
_scope: ContextVar[dict[str, crypto.FieldCipher] | None] = ContextVar("rekisteri_key_scope", default=None)
_ring: crypto.MasterKeyRing | None = None
_cache: crypto.DataKeyCache | None = None
_indexer: BlindIndexer | None = None
# The index key, kept for the full-width suppression hash (a separate HMAC domain).
_suppression_key: list[bytes] = [b""]


def load_master_ring() -> crypto.MasterKeyRing:
    """The master keys from REKISTERI_MASTER_KEY, or the embedded default's key file."""
    try:
        if settings.MASTER_KEY:
            return crypto.parse_master_keys(settings.MASTER_KEY)
        if settings.PRODUCTION:
            raise KeystoreError("REKISTERI_MASTER_KEY must be set when REKISTERI_ENV=production")
        return crypto.read_or_create_master_key_file(settings.MASTER_KEY_FILE)
    except crypto.CryptoError as exc:
        raise KeystoreError(f"the master key cannot be used: {exc}") from None
    except (ValueError, OSError) as exc:
        raise KeystoreError(f"the master key cannot be read: {exc}") from None


def reset_state() -> None:
    """Forget loaded keys (tests, and after a rotation rewrote the key file)."""
    global _ring, _cache, _indexer
    with _lock:
        _ring = _cache = _indexer = None
        _suppression_key[0] = b""
        _pool.clear()


def _refuse_empty_key_store_beside_data() -> None:
    """An empty key store next to a register that holds persons means the keys were lost
    (or another key store is configured): starting would show everybody as erased."""
    from django.apps import apps

    if apps.get_model("people", "Person").objects.exists():
        raise KeystoreError(
            "the key store is empty but the register holds persons: the key store database is "
            "missing or wrong. Restore it (rekisteri restore --keys KEY-BACKUP) or fix KEYSTORE_DATABASE_URL."
        )


def keystore_verify(ring: crypto.MasterKeyRing | None = None) -> crypto.MasterKeyRing:
    """Check the master keys against the key store; raise KeystoreError with a clear message.

    A wrong key (right id, other material) fails its key check; a key store whose data
    keys name a master key id that is not configured fails as missing.
    """
    ring = ring or load_master_ring()
    try:
        checks = {
            row.master_key_id: bytes(row.check_value) for row in KeyCheck.objects.using(KEYSTORE_DB).all()
        }
        if not checks and not DataKey.objects.using(KEYSTORE_DB).exists():
            _refuse_empty_key_store_beside_data()
        for key_id, blob in checks.items():
            if key_id in ring.key_ids:
                crypto.verify_key_check(ring, blob)
        used = set(DataKey.objects.using(KEYSTORE_DB).values_list("master_key_id", flat=True).distinct())
        index_key = IndexKey.objects.using(KEYSTORE_DB).filter(pk=1).first()
        if index_key is not None:
            used.add(index_key.master_key_id)
        missing = sorted(used - set(ring.key_ids))
        if missing:
            raise crypto.MasterKeyMissing(missing[0])
        unchecked = [key_id for key_id in ring.key_ids if key_id not in checks]
        for key_id in unchecked:
            sample = DataKey.objects.using(KEYSTORE_DB).filter(master_key_id=key_id).first()
            if sample is not None:
                # Data keys exist under this id but no check was stored: unwrap one to prove the key.
                crypto.unwrap_data_key(ring, bytes(sample.wrapped), str(sample.person_id))
            KeyCheck.objects.using(KEYSTORE_DB).bulk_create(
                [KeyCheck(master_key_id=key_id, check_value=crypto.make_key_check(ring.get(key_id)))],
                ignore_conflicts=True,  # another process starting at the same moment
            )
    except crypto.WrongMasterKey as exc:
        raise KeystoreError(f"wrong master key: {exc}") from None
    except crypto.MasterKeyMissing as exc:
        raise KeystoreError(f"missing master key: {exc}. Set REKISTERI_MASTER_KEY to include it.") from None
    except crypto.TamperedCiphertext:
        raise KeystoreError("wrong master key: it cannot unwrap the data keys stored under its id") from None
    return ring


def _person_key(person_id: UUID | str) -> str:
    """The canonical spelling of a person id, as bound into the wrapped key's associated data.

    "5CBD0919-...", "5cbd09192bbf..." and UUID("5cbd0919-...") name the same person; binding
    any other spelling than str(UUID) would make the key unreadable once reloaded from the database.
    """
    return str(_person_uuid(person_id))


def _person_uuid(person_id: UUID | str) -> UUID:
    return person_id if isinstance(person_id, UUID) else UUID(str(person_id))


def _state() -> tuple[crypto.DataKeyCache, crypto.MasterKeyRing]:
    global _ring, _cache
    with _lock:
        if _cache is None:
            _ring = keystore_verify()
            _cache = crypto.DataKeyCache(_ring, maxsize=settings.DATA_KEY_CACHE_SIZE)
        return _cache, _ring


@contextmanager
def key_scope() -> Iterator[None]:
    """Remember looked-up ciphers until the block ends (one request, one command)."""
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


def _remember(ciphers: dict[str, crypto.FieldCipher]) -> None:
    scope = _scope.get()
    if scope is not None:
        scope.update(ciphers)


def cipher_for(person_id: UUID | str, *, create: bool = False) -> crypto.FieldCipher:
    """The field cipher of one person; creates their key when `create` and none exists."""
    key = _person_key(person_id)
    scope = _scope.get()
    if scope is not None and key in scope:
        return scope[key]
    _state()  # a wrong master key fails here, before anything else is looked at
    row = DataKey.objects.using(KEYSTORE_DB).filter(person_id=key).only("wrapped").first()
    if row is not None:
        cipher = _unwrap_rows([(key, row.wrapped)])[key]
        _remember({key: cipher})
        return cipher
    if not create:
        raise KeyDestroyed(person_id)
    return create_keys([key])[key]


def _unwrap_rows(rows: Iterable[tuple[UUID | str, bytes]]) -> dict[str, crypto.FieldCipher]:
    """Unwrap (person id, wrapped key) pairs through the process's key cache.

    A key naming a master key this process does not hold means another process (`rekisteri
    keys rotate`) has rotated since this one loaded its keys: reload them once (the embedded
    key file now holds the new key). If it is still missing, _state() raises KeystoreError.
    """
    rows = [(_person_key(pid), bytes(wrapped)) for pid, wrapped in rows]
    cache, _ = _state()
    try:
        return {pid: cache.cipher(pid, wrapped) for pid, wrapped in rows}
    except crypto.MasterKeyMissing:
        reset_state()
        cache, _ = _state()
        return {pid: cache.cipher(pid, wrapped) for pid, wrapped in rows}


def ciphers_for(person_ids: Iterable[UUID | str]) -> dict[str, crypto.FieldCipher]:
    """Field ciphers for many persons in one query; persons without a key are left out."""
    _state()
    ids = {_person_key(pid) for pid in person_ids}
    if not ids:
        return {}
    scope = _scope.get() or {}
    found = {pid: scope[pid] for pid in ids if pid in scope}
    missing = ids - set(found)
    if missing:
        fetched = _unwrap_rows(_wrapped_keys(missing))
        _remember(fetched)
        found.update(fetched)
    return found


def _wrapped_keys(person_ids: set[str]) -> list[tuple]:
    """(person id, wrapped key) rows for these canonical ids.

    Every read of personal data asks for keys, so the statement is written out here instead
    of being built by the ORM on each call.
    """
    connection = connections[KEYSTORE_DB]
    to_db = DataKey._meta.pk.get_db_prep_value
    ids = padded_to_power_of_two([to_db(pid, connection) for pid in person_ids])
    placeholders = ", ".join(["%s"] * len(ids))
    with prepared_cursor(connection) as cursor:
        cursor.execute(
            f"SELECT person_id, wrapped FROM {DataKey._meta.db_table} WHERE person_id IN ({placeholders})",
            ids,
        )
        return cursor.fetchall()


_CACHED_NEW_KEYS = 100


def create_keys(person_ids: Iterable[UUID | str]) -> dict[str, crypto.FieldCipher]:
    """New data keys for new persons, stored wrapped under the current master key."""
    cache, ring = _state()
    if not KeyCheck.objects.using(KEYSTORE_DB).filter(master_key_id=ring.current.key_id).exists():
        # `keys rotate` in another process retired this process's master key (rotation drops
        # the checks of replaced keys). A key wrapped under it would be lost with the old key:
        # reload the keys; if the new one is not configured here, _state() refuses loudly.
        reset_state()
        cache, ring = _state()
    connection = connections[KEYSTORE_DB]
    to_db_id = DataKey._meta.pk.get_db_prep_value
    created_at = DataKey._meta.get_field("created_at").get_db_prep_save(timezone.now(), connection)
    key_id = ring.current.key_id
    uuids = [_person_uuid(person_id) for person_id in person_ids]
    pids = [str(uid) for uid in uuids]  # the canonical keys, as _person_key spells them
    made = crypto.new_data_keys(ring.current, pids)
    if len(pids) <= _CACHED_NEW_KEYS:
        # A new person is usually read next; a bulk batch would only push out the keys of
        # persons being read (the request's key scope, _remember, still holds them).
        for pid, (cipher, wrapped) in zip(pids, made, strict=True):
            cache.add(pid, wrapped, cipher)
    result = {pid: cipher for pid, (cipher, _) in zip(pids, made, strict=True)}
    # The wrapped key as bytearray, which SQLite's driver binds without an adapter lookup
    # (rekisteri.db.bulk_insert).
    rows = [
        (to_db_id(uid, connection), bytearray(wrapped), key_id, created_at)
        for uid, (_, wrapped) in zip(uuids, made, strict=True)
    ]
    # Below the ORM: an import creates thousands of keys at once (see rekisteri.db.bulk_insert).
    with transaction.atomic(using=KEYSTORE_DB):
        insert_rows(connection, DataKey, ("person_id", "wrapped", "master_key_id", "created_at"), rows)
    _remember(result)
    return result


# Keys made ahead for new persons (new_owner_key): this process's, newest last. Only a
# server process pools (`rekisteri serve` calls key_pool_enable): a command that creates a
# few persons would leave the rest of a pool behind.
_pool: list[tuple[UUID, crypto.FieldCipher]] = []
_pool_size = [0]
_pool_owner = [0, 0.0]  # the process that made them (a forked child must not reuse them), when
# Pooled keys are used within this time or dropped. Far inside the day after which the worker
# removes keys that no row owns (encryption.orphans.GRACE), so a pooled key is never removed
# while it may still get its row.
POOL_MAX_AGE_SECONDS = 3600


def key_pool_enable(size: int) -> None:
    """Make new persons' keys `size` at a time in this process and its forks (0: one by one)."""
    with _lock:
        _pool_size[0] = max(0, size)
        _pool.clear()


def new_owner_key() -> tuple[UUID, crypto.FieldCipher]:
    """A new row id (UUID version 7) and its data key, already durable in the key store.

    Creating a person committed its key to the key store by itself: a second durable commit
    for every person beside the register's. A server makes keys DATA_KEY_POOL_SIZE at a time
    instead, in one key-store commit, and hands them out one by one, so a key is still
    committed before the row whose values it encrypts. A key handed out but never used (the
    row's transaction failed) has no owner and the worker removes it after a day
    (encryption.orphans), as before; the unused rest of a pool is deleted when the process
    exits. Inside a key-store transaction (a test's, or a caller's) nothing is pooled: a
    rollback there would take the pooled keys with it.
    """
    if _pool_size[0] <= 1 or connections[KEYSTORE_DB].in_atomic_block:
        person_id = uuid7()
        return person_id, create_keys([person_id])[str(person_id)]
    with _lock:
        now = time.monotonic()
        if _pool_owner[0] != os.getpid() or now - _pool_owner[1] > POOL_MAX_AGE_SECONDS:
            _pool.clear()
        if not _pool:
            if _pool_owner[0] != os.getpid():
                atexit.register(_pool_release)
            ids = uuid7_many(_pool_size[0])
            made = create_keys(ids)
            # Handed out from the end: reversed, so ids are used in the order they were made.
            _pool[:] = [(person_id, made[str(person_id)]) for person_id in reversed(ids)]
            _pool_owner[:] = [os.getpid(), now]
        person_id, cipher = _pool.pop()
    _remember({str(person_id): cipher})
    return person_id, cipher


def _pool_release() -> None:
    """Delete the keys this process made ahead and never handed out (at exit)."""
    with _lock:
        unused = [person_id for person_id, _ in _pool] if _pool_owner[0] == os.getpid() else []
        _pool.clear()
    if unused:
        try:
            with transaction.atomic(using=KEYSTORE_DB):
                DataKey.objects.using(KEYSTORE_DB).filter(person_id__in=unused).delete()
        except DatabaseError:
            pass  # at exit, nothing to report to: the worker's sweep removes them after a day


def indexer() -> BlindIndexer:
    """The blind indexer, its key created (and stored wrapped) on first use."""
    global _indexer
    with _lock:
        if _indexer is not None:
            return _indexer
        _, ring = _state()
        row = IndexKey.objects.using(KEYSTORE_DB).filter(pk=1).first()
        if row is None:
            # Several processes may start at once: insert-if-absent, then everyone reads the
            # one row that won, so all of them index with the same key.
            IndexKey.objects.using(KEYSTORE_DB).bulk_create(
                [
                    IndexKey(
                        pk=1,
                        wrapped=crypto.wrap_index_key(ring.current, generate_index_key()),
                        master_key_id=ring.current.key_id,
                        bits=settings.BLIND_INDEX_BITS,
                    )
                ],
                ignore_conflicts=True,
            )
            row = IndexKey.objects.using(KEYSTORE_DB).get(pk=1)
        if row.bits != settings.BLIND_INDEX_BITS:
            raise KeystoreError(
                f"the blind index was built with {row.bits} bits but REKISTERI_BLIND_INDEX_BITS is "
                f"{settings.BLIND_INDEX_BITS}: searches would find nothing. Set it back to {row.bits}."
            )
        try:
            key = crypto.unwrap_index_key(ring, bytes(row.wrapped))
        except crypto.CryptoError as exc:
            raise KeystoreError(f"the blind-index key cannot be unwrapped: {exc}") from None
        try:
            _indexer = BlindIndexer(key, bits=settings.BLIND_INDEX_BITS)
        except ValueError as exc:
            raise KeystoreError(f"REKISTERI_BLIND_INDEX_BITS: {exc}") from None
        _suppression_key[0] = key
        return _indexer


def email_suppression_hash(email_lookup: str) -> str:
    """A keyed hash of an e-mail address for the suppression list (not reversible without the key).

    Full width, unlike the truncated blind index: a suppression list must not match
    addresses by chance.
    """
    if not email_lookup:
        return ""
    indexer()
    return hmac.new(
        _suppression_key[0], b"rekisteri-suppression-v1|" + email_lookup.encode(), hashlib.sha256
    ).hexdigest()


def key_destroy(*, person_id: UUID | str, reason: str, request_ref: str = "", email_hash: str = "") -> None:
    """Destroy a person's data key and journal the erasure, in one key-store transaction.

    Needs no master key: destroying must work even where none is configured (a restore on
    a new machine), and must never make a key file appear.
    """
    with transaction.atomic(using=KEYSTORE_DB):
        ErasureTombstone.objects.using(KEYSTORE_DB).update_or_create(
            person_id=person_id,
            defaults={
                "reason": reason[:200],
                "request_ref": request_ref[:100],
                "email_hash": email_hash,
                "erased_at": timezone.now(),
            },
        )
        DataKey.objects.using(KEYSTORE_DB).filter(person_id=person_id).delete()
    if _cache is not None:
        _cache.discard(_person_key(person_id))
    scope = _scope.get()
    if scope is not None:
        scope.pop(_person_key(person_id), None)


def keys_destroy(*, email_hashes: dict[str, str], reason: str) -> None:
    """Destroy many persons' data keys and journal them, in one key-store transaction
    (the retention sweep's batches). A person already in the journal keeps its first record.

    `email_hashes` maps each person id to the keyed hash of their address ("" for none).
    Three statements below the ORM, the ids converted once and bound as one set
    (rekisteri.db.id_set): building the ORM's IN lists
    of 2,000 ids was most of this function's time (benchmarks/README.md).
    """
    ids = list(email_hashes)
    if not ids:
        return
    connection = connections[KEYSTORE_DB]
    to_db = ErasureTombstone._meta.pk.get_db_prep_value
    params = [to_db(_person_uuid(pid), connection) for pid in ids]
    where, where_params = id_set_where(connection, "person_id", params)
    erased_at = ErasureTombstone._meta.get_field("erased_at").get_db_prep_save(timezone.now(), connection)
    with transaction.atomic(using=KEYSTORE_DB), connection.cursor() as cursor:
        journal = ErasureTombstone._meta.db_table
        cursor.execute(f"SELECT person_id FROM {journal} WHERE {where}", where_params)
        known = {row[0] for row in cursor.fetchall()}
        rows = [
            (param, reason[:200], "", email_hashes[pid], erased_at)
            for pid, param in zip(ids, params, strict=True)
            if param not in known
        ]
        columns = ("person_id", "reason", "request_ref", "email_hash", "erased_at")
        insert_rows(connection, ErasureTombstone, columns, rows)
        cursor.execute(f"DELETE FROM {DataKey._meta.db_table} WHERE {where}", where_params)
    scope = _scope.get()
    for pid in ids:
        if _cache is not None:
            _cache.discard(_person_key(pid))
        if scope is not None:
            scope.pop(_person_key(pid), None)


def wrapped_keys_of(person_ids: Iterable[UUID | str]) -> dict[str, bytes]:
    """The wrapped data keys of these persons in one query (an erasure's evidence and its
    suppression hashes); persons without a key are left out. Needs no master key."""
    ids = {_person_key(pid) for pid in person_ids}
    return {_person_key(pid): bytes(wrapped) for pid, wrapped in _wrapped_keys(ids)} if ids else {}


def ciphers_of_wrapped(wrapped: dict[str, bytes]) -> dict[str, crypto.FieldCipher]:
    """Field ciphers for keys already read (wrapped_keys_of), through the key cache."""
    return _unwrap_rows(wrapped.items()) if wrapped else {}


def erased_person_ids() -> list[UUID]:
    return list(ErasureTombstone.objects.using(KEYSTORE_DB).values_list("person_id", flat=True))


def keys_rotate(*, ring: crypto.MasterKeyRing, batch_size: int = 1000, progress=None) -> int:
    """Rewrap every data key and the index key under ring.current; returns keys rewrapped.

    Field ciphertexts are untouched. Resumable: keys already under the current master key
    are skipped.
    """
    keystore_verify(ring)
    current = ring.current.key_id
    done = 0
    while True:
        with transaction.atomic(using=KEYSTORE_DB):
            batch = list(
                DataKey.objects.using(KEYSTORE_DB)
                .exclude(master_key_id=current)
                .order_by("person_id")[:batch_size]
            )
            if not batch:
                break
            for row in batch:
                row.wrapped = crypto.rewrap_data_key(ring, bytes(row.wrapped), str(row.person_id))
                row.master_key_id = current
            DataKey.objects.using(KEYSTORE_DB).bulk_update(batch, ["wrapped", "master_key_id"])
        done += len(batch)
        if progress is not None:
            progress(done)
    with transaction.atomic(using=KEYSTORE_DB):
        row = IndexKey.objects.using(KEYSTORE_DB).filter(pk=1).first()
        if row is not None and row.master_key_id != current:
            row.wrapped = crypto.rewrap_index_key(ring, bytes(row.wrapped))
            row.master_key_id = current
            row.save()
        # Checks of keys that no longer wrap anything are dropped: the old key is not needed.
        KeyCheck.objects.using(KEYSTORE_DB).exclude(master_key_id=current).delete()
    reset_state()
    return done
