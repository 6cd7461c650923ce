"""Time-ordered identifiers for rows that are created in bulk.

A person's id is the key of the person table and of every index that names a person (the
blind index's person index, the key store, the audit subjects). Random version-4 ids land
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


def uuid7_many(count: int) -> list[uuid.UUID]:
    """`count` version-7 UUIDs of this millisecond, ascending, their random bits drawn in one call.

    Bulk loading makes thousands at once: one os.urandom call instead of one per id. They
    are sorted (as integers, before the UUIDs are made: cheap), so a batch's rows are
    appended to every index on person ids in order, as ids made one by one would be.
    """
    milliseconds = (time.time_ns() // 1_000_000) & ((1 << 48) - 1)
    prefix = milliseconds << 80 | 0x7 << 76 | 0b10 << 62
    pool = os.urandom(10 * count)
    values = []
    for start in range(0, 10 * count, 10):
        random_bits = int.from_bytes(pool[start : start + 10], "big")
        values.append(prefix | ((random_bits >> 62) & _RAND_A_MASK) << 64 | (random_bits & _RAND_B_MASK))
    values.sort()
    return [uuid.UUID(int=value) for value in values]
