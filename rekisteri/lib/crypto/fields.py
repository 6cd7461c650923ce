"""Field encryption: AES-256-GCM under a person's data key, bound to table, column and row."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rekisteri.lib.crypto.base import (
    _FIELD_MIN_LEN,
    _VERSION_BYTE,
    AAD_PREFIX,
    KEY_BYTES,
    NONCE_BYTES,
    VERSION,
    RowId,
    TamperedCiphertext,
)


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
