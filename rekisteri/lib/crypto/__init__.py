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

from rekisteri.lib.crypto.base import (
    AAD_PREFIX,
    KEY_BYTES,
    NONCE_BYTES,
    PURPOSE_DATA_KEY,
    PURPOSE_INDEX_KEY,
    PURPOSE_KEY_CHECK,
    TAG_BYTES,
    VERSION,
    CryptoError,
    InvalidMasterKey,
    MasterKeyError,
    MasterKeyMissing,
    RowId,
    TamperedCiphertext,
    TamperedWrappedKey,
    WrongMasterKey,
)
from rekisteri.lib.crypto.fields import (
    FieldCell,
    FieldCipher,
    decrypt_field,
    encrypt_field,
    encrypt_fields,
)
from rekisteri.lib.crypto.master_keys import (
    MasterKey,
    MasterKeyRing,
    generate_master_key,
    parse_master_key,
    parse_master_keys,
    read_or_create_master_key_file,
    write_master_key_file,
)
from rekisteri.lib.crypto.wrapping import (
    DataKeyCache,
    generate_data_key,
    make_key_check,
    new_data_keys,
    rewrap_data_key,
    rewrap_index_key,
    unwrap_data_key,
    unwrap_index_key,
    verify_key_check,
    wrap_data_key,
    wrap_index_key,
    wrapped_key_id,
)

__all__ = [
    "AAD_PREFIX",
    "CryptoError",
    "DataKeyCache",
    "FieldCell",
    "FieldCipher",
    "InvalidMasterKey",
    "KEY_BYTES",
    "MasterKey",
    "MasterKeyError",
    "MasterKeyMissing",
    "MasterKeyRing",
    "NONCE_BYTES",
    "PURPOSE_DATA_KEY",
    "PURPOSE_INDEX_KEY",
    "PURPOSE_KEY_CHECK",
    "RowId",
    "TAG_BYTES",
    "TamperedCiphertext",
    "TamperedWrappedKey",
    "VERSION",
    "WrongMasterKey",
    "decrypt_field",
    "encrypt_field",
    "encrypt_fields",
    "generate_data_key",
    "generate_master_key",
    "make_key_check",
    "new_data_keys",
    "parse_master_key",
    "parse_master_keys",
    "read_or_create_master_key_file",
    "rewrap_data_key",
    "rewrap_index_key",
    "unwrap_data_key",
    "unwrap_index_key",
    "verify_key_check",
    "wrap_data_key",
    "wrap_index_key",
    "wrapped_key_id",
    "write_master_key_file",
]
