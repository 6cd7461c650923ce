"""Master keys: their format, key rings for rotation, and the embedded default's key file."""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rekisteri.lib.crypto.base import (
    _B64URL_RE,
    _KEY_ID_RE,
    KEY_BYTES,
    InvalidMasterKey,
    MasterKeyError,
    MasterKeyMissing,
)


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
