"""Constants, identifiers and errors of rekisteri's cryptography."""

from __future__ import annotations

import re
from uuid import UUID

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
