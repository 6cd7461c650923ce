"""Time-ordered identifiers for rows that are created in bulk.

A person's id is the key of the person table and of every index that names a person (the
blind index's per-person lists, the key store, the audit subjects). Random version-4 ids land
on a random page of each of those indexes, so loading 100,000 persons rewrites pages all
over the database; version-7 ids (RFC 9562) grow with time and are appended instead. They
reveal the creation time to the millisecond, which the row's created_at says anyway, and
keep 74 random bits, so ids still cannot be guessed.
"""

from __future__ import annotations

import os
import time
import uuid

_RAND_A_MASK = (1 << 12) - 1
_RAND_B_MASK = (1 << 62) - 1


def uuid7() -> uuid.UUID:
    """A version-7 UUID: 48 bits of Unix time in milliseconds, version, 74 random bits."""
    milliseconds = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = (
        (milliseconds & ((1 << 48) - 1)) << 80
        | 0x7 << 76
        | ((random_bits >> 62) & _RAND_A_MASK) << 64
        | 0b10 << 62
        | (random_bits & _RAND_B_MASK)
    )
    return uuid.UUID(int=value)


class SpelledUUID(uuid.UUID):
    """A UUID that carries its two spellings, made once with it.

    A bulk-loaded person's id is spelled five times (the key's associated data, the key
    store's and the person table's column, the audit event's two id lists); uuid.UUID works
    each spelling out again. Equal to, hashed and ordered like the plain UUID of the same
    value; a copy or pickle is a plain UUID.
    """

    __slots__ = ("_str", "_hex")

    def __str__(self) -> str:
        return self._str

    @property
    def hex(self) -> str:
        return self._hex

    def __repr__(self) -> str:
        return f"UUID({self._str!r})"

    def __reduce__(self):
        return (uuid.UUID, (None, None, None, None, self.int))


_set_slot = object.__setattr__  # uuid.UUID forbids setting attributes the usual way


def _spelled(value: int) -> SpelledUUID:
    # What uuid.UUID(int=value) sets (int, is_safe), without its argument checks: the
    # value is made here, 128 bits with version and variant set.
    spelled = object.__new__(SpelledUUID)
    _set_slot(spelled, "int", value)
    _set_slot(spelled, "is_safe", uuid.SafeUUID.unknown)
    hex_ = f"{value:032x}"
    _set_slot(spelled, "_hex", hex_)
    _set_slot(spelled, "_str", f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}")
    return spelled


def uuid7_many(count: int) -> list[uuid.UUID]:
    """`count` version-7 UUIDs of this millisecond, ascending, their random bits drawn in one call.

    Bulk loading makes thousands at once: one os.urandom call instead of one per id. They
    are sorted (as integers, before the UUIDs are made: cheap), so a batch's rows are
    appended to every index on person ids in order, as ids made one by one would be. Each
    is a SpelledUUID.
    """
    milliseconds = (time.time_ns() // 1_000_000) & ((1 << 48) - 1)
    prefix = milliseconds << 80 | 0x7 << 76 | 0b10 << 62
    pool = os.urandom(10 * count)
    values = []
    for start in range(0, 10 * count, 10):
        random_bits = int.from_bytes(pool[start : start + 10], "big")
        values.append(prefix | ((random_bits >> 62) & _RAND_A_MASK) << 64 | (random_bits & _RAND_B_MASK))
    values.sort()
    return [_spelled(value) for value in values]
