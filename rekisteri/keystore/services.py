"""Data keys: creating, finding, destroying and rotating them.

Everything here talks to the "keystore" database. Unwrapped keys live only in this
process's memory (a small LRU) and only while their wrapped form still exists.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import UUID

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from rekisteri.keystore.models import DataKey, ErasureTombstone, IndexKey, KeyCheck
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.lib import crypto
from rekisteri.lib.blind_index import BlindIndexer, generate_index_key
from rekisteri.lib.bulk_insert import insert_rows
from rekisteri.lib.compiled_query import padded_to_power_of_two
from rekisteri.lib.prepared import prepared_cursor


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
    # (rekisteri.lib.bulk_insert).
    rows = [
        (to_db_id(uid, connection), bytearray(wrapped), key_id, created_at)
        for uid, (_, wrapped) in zip(uuids, made, strict=True)
    ]
    # Below the ORM: an import creates thousands of keys at once (see rekisteri.lib.bulk_insert).
    with transaction.atomic(using=KEYSTORE_DB):
        insert_rows(connection, DataKey, ("person_id", "wrapped", "master_key_id", "created_at"), rows)
    _remember(result)
    return result


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
