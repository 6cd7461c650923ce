"""Canonical bytes, the keyed chain and checkpoint signatures (no Django queries here).

Each event's hash is HMAC-SHA256 under the audit key over the previous hash and the event's
canonical bytes, so nobody without the key can recompute the chain after changing, removing
or renumbering an event. The chain head carries a seal (an HMAC of the last hash under a
key of its own) that no event holds, so rewinding the head to an earlier event needs a value
that was overwritten. Checkpoints are signed with Ed25519 under a key derived from the same
audit key. Events written before the chain was keyed (key_id "") were chained with plain
SHA-256; they verify as such only before the keyed event that sealed them (migration 0006).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

GENESIS_HASH = "0" * 64
# key_id of the events chained with plain SHA-256 before the chain was keyed.
LEGACY_KEY_ID = ""

# Fixed HKDF labels: one independent key per use, all from the one audit key.
_EVENT_LABEL = b"rekisteri audit event chain v1"
_SEAL_LABEL = b"rekisteri audit head seal v1"
_SIGNING_LABEL = b"rekisteri audit checkpoint signing v1"
_SEAL_PREFIX = b"rekisteri-audit-head-v1|"
CHECKPOINT_SIGNED_PREFIX = b"rekisteri-audit-checkpoint-v2|"


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


_EVENT_FIELDS = (
    "seq",
    "at",
    "actor_user_id",
    "actor_label",
    "action",
    "object_type",
    "object_ids",
    "person_ids",
    "purpose",
    "origin",
    "detail",
)


def stored_event_bytes(event: Any) -> bytes:
    """event_bytes of a stored event (anything with the event's fields as attributes)."""
    return event_bytes(**{name: getattr(event, name) for name in _EVENT_FIELDS})


def chain_hash(prev_hash: str, payload: bytes) -> str:
    """The legacy, unkeyed link: anyone can recompute it (kept to verify old events)."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + payload).hexdigest()


def _derive(key: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(key)


class ChainKey:
    """The keys derived from one audit key: event chain, head seal, checkpoint signing."""

    __slots__ = ("key_id", "_event", "_seal", "_signing", "_public")

    def __init__(self, key_id: str, key: bytes):
        self.key_id = key_id
        # HMAC objects keyed once; copy() per use skips re-hashing the padded key.
        self._event = hmac.new(_derive(key, _EVENT_LABEL), digestmod=hashlib.sha256)
        self._seal = hmac.new(_derive(key, _SEAL_LABEL), digestmod=hashlib.sha256)
        self._signing = Ed25519PrivateKey.from_private_bytes(_derive(key, _SIGNING_LABEL))
        self._public = self._signing.public_key()

    def chain(self, prev_hash: str, payload: bytes) -> str:
        mac = self._event.copy()
        mac.update(bytes.fromhex(prev_hash))
        mac.update(payload)
        return mac.hexdigest()

    def seal(self, head_seq: int, head_hash: str) -> str:
        mac = self._seal.copy()
        mac.update(_SEAL_PREFIX + f"{head_seq}|{head_hash}".encode("ascii"))
        return mac.hexdigest()

    def sign(self, message: bytes) -> bytes:
        return self._signing.sign(message)

    def signature_valid(self, signature: bytes, message: bytes) -> bool:
        try:
            self._public.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def public_key_bytes(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return self._public.public_bytes(Encoding.Raw, PublicFormat.Raw)

    def __repr__(self) -> str:
        return f"ChainKey(key_id={self.key_id!r}, key=<hidden>)"
