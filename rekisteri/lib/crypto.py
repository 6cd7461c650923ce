"""Envelope encryption for personal data: AES-256-GCM under a data key per person.

Key hierarchy
-------------
- A **master key** (key-encryption key, 32 bytes) comes from ``REKISTERI_MASTER_KEY`` or, in
  the embedded default, from a generated key file in the data directory (mode 600). It only
  ever wraps other keys; it never touches personal data directly.
- Each person has a random **data key** (32 bytes). Every personal value of the person is
  encrypted under it, so erasing a person can destroy the key instead of hunting copies.
- The data key is stored **wrapped** by the master key. The wrapped blob names the master
  key's id, so a master key can be rotated by rewrapping data keys only (``rewrap_data_key``)
  without touching any field ciphertext; afterwards the old master key is no longer needed.

Master key string format
------------------------
``ID:KEY`` where ID is 1-64 characters of ``A-Z a-z 0-9 . _ -`` and KEY is the 32-byte key
in URL-safe base64 (padding optional), e.g. ``2025-01:3q2-7wX...``. Several keys are
separated by commas (whitespace around them is ignored); the **first is the current key**
used for new wraps, the rest are older keys still accepted for unwrapping during rotation:
``REKISTERI_MASTER_KEY="2025-06:NEWKEY...,2025-01:OLDKEY..."``.

Blob formats (all integers are single unsigned bytes)
-----------------------------------------------------
- field ciphertext:  ``version(1) ‖ nonce(12) ‖ AES-GCM ciphertext+tag``
  with associated data ``b"rekisteri-v1|" + table | column | row id``. A ciphertext copied
  to another row or field therefore fails authentication.
- wrapped key:       ``version(1) ‖ len(key id) ‖ key id ‖ nonce(12) ‖ ciphertext+tag``
  with associated data ``b"rekisteri-v1|" + purpose | master key id | owner``.
- key check value:   the same layout as a wrapped key, over a fixed plaintext, so a wrong
  master key is detected at start-up instead of surfacing later as undecryptable data.

Failures are loud: authentication failure raises ``TamperedCiphertext`` (never an empty
value), an unknown master key id raises ``MasterKeyMissing``, a master key whose material
differs from the one recorded at setup raises ``WrongMasterKey``. Messages carry ids only,
never key material or plaintext.

All randomness comes from ``os.urandom``. Nonces are random 96-bit values; with one data key
per person a key encrypts at most a few hundred messages, far below the 2**32 limit for
random GCM nonces.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
AAD_PREFIX = b"rekisteri-v1|"

# Purpose labels bind a wrapped key to what it is for: a data key can never be presented as
# the blind-index key or a key check, and vice versa.
PURPOSE_DATA_KEY = "data-key"
PURPOSE_INDEX_KEY = "blind-index-key"
PURPOSE_KEY_CHECK = "key-check"
_KEY_CHECK_PLAINTEXT = b"rekisteri master key check v1"

_VERSION_BYTE = bytes([VERSION])
_KEY_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_FIELD_MIN_LEN = 1 + NONCE_BYTES + TAG_BYTES

RowId = str | int | UUID


class CryptoError(Exception):
    """Base class for every error raised by this module."""


class MasterKeyError(CryptoError):
    """The master key configuration is unusable; the process must not start."""


class InvalidMasterKey(MasterKeyError, ValueError):
    """A master key value is malformed (the message never repeats the key material)."""


class MasterKeyMissing(MasterKeyError):
    """A wrapped key names a master key id that the configured key ring does not hold."""

    def __init__(self, key_id: str):
        self.key_id = key_id
        super().__init__(
            f"master key {key_id!r} is needed but not configured in REKISTERI_MASTER_KEY; "
            "add it (after the current key) or finish the rotation that replaced it"
        )


class WrongMasterKey(MasterKeyError):
    """The configured master key with this id is not the key the data was set up with."""

    def __init__(self, key_id: str):
        self.key_id = key_id
        super().__init__(
            f"master key {key_id!r} does not match the key this register was set up with: "
            "check REKISTERI_MASTER_KEY (or the key file) for a typo or a key from another installation"
        )


class TamperedCiphertext(CryptoError):
    """A ciphertext failed authentication: altered, moved to another row or field, or truncated."""

    def __init__(self, table: str, column: str, row_id: RowId, reason: str = "failed authentication"):
        self.table = table
        self.column = column
        self.row_id = str(row_id)
        self.reason = reason
        super().__init__(
            f"encrypted value {table}.{column} of row {self.row_id} {reason}: it was altered, "
            "copied from another row or field, or encrypted under another key"
        )


class TamperedWrappedKey(TamperedCiphertext):
    """A wrapped key failed authentication under the master key it names.

    After the start-up key check has confirmed the master key, this means the wrapped key was
    altered or copied from another owner (person), which is tampering.
    """

    def __init__(self, purpose: str, owner: str, key_id: str, reason: str = "failed authentication"):
        self.purpose = purpose
        self.owner = owner
        self.key_id = key_id
        CryptoError.__init__(
            self,
            f"wrapped {purpose} of {owner} {reason} under master key {key_id!r}: it was altered or "
            "copied from another owner, or that master key is not the one that wrapped it",
        )
        self.table, self.column, self.row_id, self.reason = "wrapped-key", purpose, owner, reason


# --------------------------------------------------------------------------- master keys


class MasterKey:
    """A key-encryption key with its id. The repr never shows the key."""

    __slots__ = ("key_id", "_key", "_aead")

    def __init__(self, key_id: str, key: bytes):
        if not isinstance(key_id, str) or not _KEY_ID_RE.fullmatch(key_id):
            raise InvalidMasterKey(
                "a master key id must be 1-64 characters of letters, digits, '.', '_' or '-'"
            )
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise InvalidMasterKey(f"master key {key_id!r} must be exactly {KEY_BYTES} bytes")
        self.key_id = key_id
        self._key = key
        self._aead = AESGCM(key)

    @property
    def key(self) -> bytes:
        return self._key

    def to_string(self) -> str:
        """The ``ID:BASE64URLKEY`` form accepted by ``parse_master_key``."""
        return f"{self.key_id}:{base64.urlsafe_b64encode(self._key).decode('ascii').rstrip('=')}"

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r}, key=<hidden>)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MasterKey):
            return NotImplemented
        return self.key_id == other.key_id and hmac.compare_digest(self._key, other._key)

    def __hash__(self) -> int:
        return hash(self.key_id)


def generate_master_key(key_id: str | None = None) -> MasterKey:
    """A fresh random master key; the default id is the UTC date plus random hex (``20250601-3fa2c1``)."""
    if key_id is None:
        key_id = f"{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"
    return MasterKey(key_id, os.urandom(KEY_BYTES))


def parse_master_key(value: str) -> MasterKey:
    """Parse one ``ID:BASE64URLKEY`` value."""
    key_id, sep, encoded = value.strip().partition(":")
    key_id, encoded = key_id.strip(), encoded.strip()
    if not sep or not key_id:
        raise InvalidMasterKey(
            "a master key must look like ID:BASE64URLKEY, e.g. 2025-01:<43 base64url characters>"
        )
    if not _KEY_ID_RE.fullmatch(key_id):
        raise InvalidMasterKey("a master key id must be 1-64 characters of letters, digits, '.', '_' or '-'")
    if not _B64URL_RE.fullmatch(encoded):
        raise InvalidMasterKey(f"master key {key_id!r} is not URL-safe base64")
    unpadded = encoded.rstrip("=")
    try:
        key = base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except (binascii.Error, ValueError):
        raise InvalidMasterKey(f"master key {key_id!r} is not URL-safe base64") from None
    if len(key) != KEY_BYTES:
        raise InvalidMasterKey(f"master key {key_id!r} must decode to {KEY_BYTES} bytes, not {len(key)}")
    return MasterKey(key_id, key)


class MasterKeyRing:
    """The current master key plus older keys still accepted for unwrapping (during rotation)."""

    __slots__ = ("current", "_by_id")

    def __init__(self, current: MasterKey, old: Iterable[MasterKey] = ()):
        self.current = current
        self._by_id: dict[str, MasterKey] = {current.key_id: current}
        for key in old:
            if key.key_id in self._by_id:
                raise InvalidMasterKey(f"master key id {key.key_id!r} appears more than once")
            self._by_id[key.key_id] = key

    def get(self, key_id: str) -> MasterKey:
        try:
            return self._by_id[key_id]
        except KeyError:
            raise MasterKeyMissing(key_id) from None

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._by_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Current id first, then older ones."""
        return tuple(self._by_id)

    @property
    def old(self) -> tuple[MasterKey, ...]:
        return tuple(key for key in self._by_id.values() if key is not self.current)

    def to_string(self) -> str:
        """The comma-separated form accepted by ``parse_master_keys``."""
        return ",".join(key.to_string() for key in self._by_id.values())

    def __repr__(self) -> str:
        return f"MasterKeyRing(key_ids={self.key_ids!r})"


def parse_master_keys(value: str) -> MasterKeyRing:
    """Parse ``"id1:key1,id2:key2"``: the first key is current, the others are old keys."""
    parts = [part.strip() for part in (value or "").replace("\n", ",").split(",") if part.strip()]
    if not parts:
        raise InvalidMasterKey("no master key configured (REKISTERI_MASTER_KEY is empty)")
    keys = [parse_master_key(part) for part in parts]
    return MasterKeyRing(keys[0], keys[1:])


def read_or_create_master_key_file(path: Path) -> MasterKeyRing:
    """The embedded default: read the key ring from ``path``, or create it with one new key, mode 600.

    Creation is atomic (a private temporary file hard-linked into place), so workers starting
    at the same moment all end up with the same key.
    """
    path = Path(path)
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise MasterKeyError(f"{path} must be readable by its owner only (mode 600), found {oct(mode)}")
        return parse_master_keys(path.read_text(encoding="utf-8"))
    ring = MasterKeyRing(generate_master_key())
    tmp = _write_private(path, ring.to_string())
    try:
        os.link(tmp, path)
    except FileExistsError:
        return parse_master_keys(path.read_text(encoding="utf-8"))
    finally:
        tmp.unlink()
    return ring


def write_master_key_file(path: Path, ring: MasterKeyRing) -> None:
    """Atomically replace the key file (mode 600), e.g. after ``rekisteri keys rotate``."""
    path = Path(path)
    tmp = _write_private(path, ring.to_string())
    os.replace(tmp, path)


def _write_private(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return tmp


# --------------------------------------------------------------------------- wrapped keys


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


# --------------------------------------------------------------------------- field encryption


@lru_cache(maxsize=256)
def _field_aad_prefix(table: str, column: str) -> bytes:
    # The row id goes last, so only table and column must be free of the separator.
    if not table or not column or "|" in table or "|" in column:
        raise ValueError("table and column names must be non-empty and must not contain '|'")
    return AAD_PREFIX + f"{table}|{column}|".encode()


class FieldCipher:
    """Encrypts and decrypts one person's fields; reuse it (AESGCM set-up is the costly part)."""

    __slots__ = ("_aead",)

    def __init__(self, data_key: bytes):
        if len(data_key) != KEY_BYTES:
            raise ValueError(f"a data key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(data_key)

    def encrypt(
        self, plaintext: str | bytes | None, *, table: str, column: str, row_id: RowId
    ) -> bytes | None:
        """``None`` stays ``None``; every other value (``""`` too) becomes a ciphertext."""
        if plaintext is None:
            return None
        data = plaintext.encode("utf-8") if isinstance(plaintext, str) else bytes(plaintext)
        nonce = os.urandom(NONCE_BYTES)
        aad = _field_aad_prefix(table, column) + str(row_id).encode()
        return _VERSION_BYTE + nonce + self._aead.encrypt(nonce, data, aad)

    def decrypt_bytes(self, blob: bytes | None, *, table: str, column: str, row_id: RowId) -> bytes | None:
        if blob is None:
            return None
        blob = bytes(blob)
        if len(blob) < _FIELD_MIN_LEN or blob[0] != VERSION:
            raise TamperedCiphertext(table, column, row_id, reason="is malformed or of an unknown version")
        aad = _field_aad_prefix(table, column) + str(row_id).encode()
        try:
            return self._aead.decrypt(blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :], aad)
        except InvalidTag:
            raise TamperedCiphertext(table, column, row_id) from None

    def decrypt(self, blob: bytes | None, *, table: str, column: str, row_id: RowId) -> str | None:
        data = self.decrypt_bytes(blob, table=table, column=column, row_id=row_id)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:  # authentic but not text: a bytes value read as text
            raise TamperedCiphertext(table, column, row_id, reason="is not UTF-8 text") from None

    def __repr__(self) -> str:
        return "FieldCipher(<hidden>)"


# (cipher, plaintext, table, column, row id): one value to encrypt, see encrypt_fields.
FieldCell = tuple["FieldCipher", str | bytes | None, str, str, str]


def encrypt_fields(cells: Sequence[FieldCell]) -> list[bytes | None]:
    """Encrypt many values at once: each cell is (cipher, plaintext, table, column, row_id).

    Each result is exactly what ``cipher.encrypt(plaintext, table=, column=, row_id=)`` gives
    (a fresh random nonce per value, the same associated data); the nonces of all cells
    come from one os.urandom call. Bulk loading encrypts hundreds of thousands of values,
    a row's cells one after another: what a row's cells share (the cipher's method, the
    row id's bytes) is looked up once per row.
    """
    pool = os.urandom(NONCE_BYTES * len(cells))
    prefixes: dict[str, tuple[str, bytes]] = {}
    result: list[bytes | None] = []
    append = result.append
    join = b"".join
    last_row_id = row_bytes = last_cipher = seal = None
    start = 0
    for cipher, plaintext, table, column, row_id in cells:
        if plaintext is None:
            append(None)
            continue
        if cipher is not last_cipher:
            if type(cipher) is not FieldCipher:  # another cipher object (the benchmark's plain one)
                append(cipher.encrypt(plaintext, table=table, column=column, row_id=row_id))
                continue
            last_cipher, seal = cipher, cipher._aead.encrypt
        if row_id is not last_row_id:
            last_row_id, row_bytes = row_id, str(row_id).encode()
        prefix = prefixes.get(column)
        if prefix is None or prefix[0] != table:
            prefix = prefixes[column] = (table, _field_aad_prefix(table, column))
        data = plaintext.encode("utf-8") if type(plaintext) is str else bytes(plaintext)
        end = start + NONCE_BYTES
        nonce = pool[start:end]
        start = end
        append(join((_VERSION_BYTE, nonce, seal(nonce, data, prefix[1] + row_bytes))))
    return result


def _cipher(data_key: bytes | FieldCipher) -> FieldCipher:
    return data_key if isinstance(data_key, FieldCipher) else FieldCipher(data_key)


def encrypt_field(
    data_key: bytes | FieldCipher, plaintext: str | bytes | None, *, table: str, column: str, row_id: RowId
) -> bytes | None:
    """Encrypt one value; pass a FieldCipher instead of raw key bytes in loops."""
    return _cipher(data_key).encrypt(plaintext, table=table, column=column, row_id=row_id)


def decrypt_field(
    data_key: bytes | FieldCipher, blob: bytes | None, *, table: str, column: str, row_id: RowId
) -> str | None:
    """Decrypt one value to text; TamperedCiphertext if it fails authentication."""
    return _cipher(data_key).decrypt(blob, table=table, column=column, row_id=row_id)


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
