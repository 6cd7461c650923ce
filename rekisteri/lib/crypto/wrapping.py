"""Data keys, the blind-index key and the key check wrapped under a master key; the cache
of unwrapped data keys."""

from __future__ import annotations

import hmac
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag

from rekisteri.lib.crypto.base import (
    _KEY_CHECK_PLAINTEXT,
    _VERSION_BYTE,
    AAD_PREFIX,
    KEY_BYTES,
    NONCE_BYTES,
    PURPOSE_DATA_KEY,
    PURPOSE_INDEX_KEY,
    PURPOSE_KEY_CHECK,
    TAG_BYTES,
    VERSION,
    RowId,
    TamperedWrappedKey,
    WrongMasterKey,
)
from rekisteri.lib.crypto.fields import (
    FieldCipher,
)
from rekisteri.lib.crypto.master_keys import (
    MasterKey,
    MasterKeyRing,
)


def generate_data_key() -> bytes:
    """A fresh random 256-bit data key."""
    return os.urandom(KEY_BYTES)


def _wrap_aad(purpose: str, key_id: str, owner: str) -> bytes:
    return AAD_PREFIX + f"{purpose}|{key_id}|{owner}".encode()


def _wrap(master: MasterKey, secret: bytes, *, purpose: str, owner: str) -> bytes:
    key_id = master.key_id.encode("ascii")
    nonce = os.urandom(NONCE_BYTES)
    sealed = master._aead.encrypt(nonce, secret, _wrap_aad(purpose, master.key_id, owner))
    return b"".join((_VERSION_BYTE, bytes([len(key_id)]), key_id, nonce, sealed))


def _split_wrapped(blob: bytes, *, purpose: str, owner: str) -> tuple[str, bytes, bytes]:
    """(key id, nonce, sealed) of a wrapped blob, or TamperedWrappedKey if malformed."""
    blob = bytes(blob)
    if len(blob) < 2 or blob[0] != VERSION:
        raise TamperedWrappedKey(purpose, owner, "?", reason="is malformed or of an unknown version")
    id_len = blob[1]
    body = 2 + id_len
    if len(blob) < body + NONCE_BYTES + TAG_BYTES:
        raise TamperedWrappedKey(purpose, owner, "?", reason="is truncated")
    try:
        key_id = blob[2:body].decode("ascii")
    except UnicodeDecodeError:
        raise TamperedWrappedKey(purpose, owner, "?", reason="is malformed") from None
    return key_id, blob[body : body + NONCE_BYTES], blob[body + NONCE_BYTES :]


def _unwrap(ring: MasterKeyRing, blob: bytes, *, purpose: str, owner: str) -> bytes:
    key_id, nonce, sealed = _split_wrapped(blob, purpose=purpose, owner=owner)
    master = ring.get(key_id)  # MasterKeyMissing names the id
    try:
        return master._aead.decrypt(nonce, sealed, _wrap_aad(purpose, key_id, owner))
    except InvalidTag:
        raise TamperedWrappedKey(purpose, owner, key_id) from None


def wrapped_key_id(blob: bytes) -> str:
    """The master key id a wrapped blob (data key, index key or key check) names."""
    return _split_wrapped(blob, purpose="key", owner="?")[0]


def wrap_data_key(master: MasterKey, data_key: bytes, person_id: RowId) -> bytes:
    """Wrap a person's data key under ``master``, bound to the person id."""
    if len(data_key) != KEY_BYTES:
        raise ValueError(f"a data key must be {KEY_BYTES} bytes")
    return _wrap(master, data_key, purpose=PURPOSE_DATA_KEY, owner=str(person_id))


def new_data_keys(master: MasterKey, person_ids: Sequence[str]) -> list[tuple[FieldCipher, bytes]]:
    """Fresh data keys for many persons: (cipher, key wrapped under ``master``) per id.

    The same keys and blobs as generate_data_key + wrap_data_key one by one (_wrap's layout
    and associated data); the random bytes of all keys and wrapping nonces come from one
    os.urandom call (a system call per key and per nonce cost more than the AES itself).
    """
    count = len(person_ids)
    pool = os.urandom((KEY_BYTES + NONCE_BYTES) * count)
    nonce_base = KEY_BYTES * count
    # _wrap's layout and associated data, with what all keys share computed once.
    key_id = master.key_id.encode("ascii")
    header = _VERSION_BYTE + bytes([len(key_id)]) + key_id
    aad_prefix = _wrap_aad(PURPOSE_DATA_KEY, master.key_id, "")
    seal = master._aead.encrypt
    result = []
    for index, person_id in enumerate(person_ids):
        data_key = pool[KEY_BYTES * index : KEY_BYTES * (index + 1)]
        nonce_at = nonce_base + NONCE_BYTES * index
        nonce = pool[nonce_at : nonce_at + NONCE_BYTES]
        wrapped = header + nonce + seal(nonce, data_key, aad_prefix + str(person_id).encode())
        result.append((FieldCipher(data_key), wrapped))
    return result


def unwrap_data_key(ring: MasterKeyRing, wrapped: bytes, person_id: RowId) -> bytes:
    """The person's data key; MasterKeyMissing or TamperedWrappedKey if it cannot be opened."""
    return _unwrap(ring, wrapped, purpose=PURPOSE_DATA_KEY, owner=str(person_id))


def rewrap_data_key(ring: MasterKeyRing, wrapped: bytes, person_id: RowId) -> bytes:
    """The data key rewrapped under ``ring.current``; unchanged if it already is (rotation is resumable)."""
    if wrapped_key_id(wrapped) == ring.current.key_id:
        unwrap_data_key(ring, wrapped, person_id)  # still authenticate: rotation must not bless tampering
        return bytes(wrapped)
    return wrap_data_key(ring.current, unwrap_data_key(ring, wrapped, person_id), person_id)


def wrap_index_key(master: MasterKey, index_key: bytes) -> bytes:
    """Wrap the blind-index key (one per installation) under ``master``."""
    if len(index_key) < KEY_BYTES:
        raise ValueError(f"a blind-index key must be at least {KEY_BYTES} bytes")
    return _wrap(master, index_key, purpose=PURPOSE_INDEX_KEY, owner="installation")


def unwrap_index_key(ring: MasterKeyRing, wrapped: bytes) -> bytes:
    return _unwrap(ring, wrapped, purpose=PURPOSE_INDEX_KEY, owner="installation")


def rewrap_index_key(ring: MasterKeyRing, wrapped: bytes) -> bytes:
    if wrapped_key_id(wrapped) == ring.current.key_id:
        unwrap_index_key(ring, wrapped)
        return bytes(wrapped)
    return wrap_index_key(ring.current, unwrap_index_key(ring, wrapped))


def make_key_check(master: MasterKey) -> bytes:
    """A key check value for ``master``: store it at setup, verify it at every start."""
    return _wrap(master, _KEY_CHECK_PLAINTEXT, purpose=PURPOSE_KEY_CHECK, owner="installation")


def verify_key_check(ring: MasterKeyRing, blob: bytes) -> str:
    """Confirm the ring holds the right key for a stored key check; return its key id.

    Raises MasterKeyMissing if the key id is not configured and WrongMasterKey if the
    configured key with that id is different.
    """
    key_id, nonce, sealed = _split_wrapped(blob, purpose=PURPOSE_KEY_CHECK, owner="installation")
    master = ring.get(key_id)
    try:
        plaintext = master._aead.decrypt(nonce, sealed, _wrap_aad(PURPOSE_KEY_CHECK, key_id, "installation"))
    except InvalidTag:
        raise WrongMasterKey(key_id) from None
    if not hmac.compare_digest(plaintext, _KEY_CHECK_PLAINTEXT):
        raise WrongMasterKey(key_id)
    return key_id


class DataKeyCache:
    """A small thread-safe LRU of unwrapped data keys (as FieldCiphers), keyed by person id.

    An entry is only used when the caller presents the same wrapped blob it was unwrapped
    from: once a wrapped key is deleted (erasure by key destruction) no caller can present it,
    and a rewrapped key is simply unwrapped again.
    """

    def __init__(self, ring: MasterKeyRing, maxsize: int = 1024):
        self.ring = ring
        self.maxsize = maxsize
        self._entries: OrderedDict[str, tuple[bytes, FieldCipher]] = OrderedDict()
        self._lock = threading.Lock()

    def cipher(self, person_id: RowId, wrapped: bytes) -> FieldCipher:
        """The FieldCipher for a person, unwrapping (and caching) on a miss."""
        key = str(person_id)
        wrapped = bytes(wrapped)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == wrapped:
                self._entries.move_to_end(key)
                return entry[1]
        cipher = FieldCipher(unwrap_data_key(self.ring, wrapped, key))
        self._put(key, wrapped, cipher)
        return cipher

    def new_key(self, person_id: RowId) -> tuple[FieldCipher, bytes]:
        """A new data key for a person: its FieldCipher and the blob to store (wrapped, current key)."""
        key = str(person_id)
        [(cipher, wrapped)] = new_data_keys(self.ring.current, [key])
        self._put(key, wrapped, cipher)
        return cipher, wrapped

    def add(self, person_id: RowId, wrapped: bytes, cipher: FieldCipher) -> None:
        """Remember a key made elsewhere (new_data_keys) with the blob it is stored as."""
        self._put(str(person_id), bytes(wrapped), cipher)

    def discard(self, person_id: RowId) -> None:
        with self._lock:
            self._entries.pop(str(person_id), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _put(self, key: str, wrapped: bytes, cipher: FieldCipher) -> None:
        with self._lock:
            self._entries[key] = (wrapped, cipher)
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
