"""Canonical bytes and hashing for the audit chain (no Django queries here)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """One byte-exact JSON form: sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_bytes(
    *,
    seq: int,
    at: datetime,
    actor_user_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_ids: str,
    person_ids: str,
    purpose: str,
    origin: str,
    detail: str,
) -> bytes:
    # A list, not a dict: field order is fixed by position and can never drift.
    return canonical_json(
        [
            "rekisteri-audit-v1",
            seq,
            canonical_time(at),
            actor_user_id,
            actor_label,
            action,
            object_type,
            object_ids,
            person_ids,
            purpose,
            origin,
            detail,
        ]
    ).encode("ascii")


def chain_hash(prev_hash: str, payload: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + payload).hexdigest()
