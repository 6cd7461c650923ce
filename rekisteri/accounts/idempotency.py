"""Doing a submission once: forms' one-time tokens and the API's Idempotency-Key header.

The claim is a row insert under a unique constraint, inside the transaction that does the
work. A repeat that arrives while the first is still running waits for it (SQLite's write
lock; PostgreSQL's unique index) and then finds its row; if the first failed and rolled
back, its claim went with it and the repeat does the work itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from rekisteri.accounts.models import IdempotencyKey

KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class KeyReused(ValueError):
    """The key was already used for a different submission."""


@dataclass
class Claim:
    row: IdempotencyKey
    # True when an earlier submission with this key already did the work.
    replayed: bool

    @property
    def result_id(self) -> str:
        return self.row.result_id


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint(content: Any) -> str:
    """A hash of a submission's content, to recognise a key reused for something else."""
    return _hash(json.dumps(content, sort_keys=True, default=str, ensure_ascii=False))


def submission_claim(*, user, scope: str, key: str, content_hash: str = "") -> Claim:
    """Claim `key` for this user and scope, or find the submission that already did.

    Call inside the transaction that does the work and, unless the claim is `replayed`,
    record the result with `submission_complete` in that same transaction. Raises KeyReused
    when the earlier submission's `content_hash` differs.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("submission_claim must run inside the transaction that does the work")
    key_hash = _hash(key)
    now = timezone.now()
    # An expired key may be used again; other expired rows go a few at a time.
    expired = IdempotencyKey.objects.filter(created_at__lt=now - KEY_LIFETIME)
    expired.filter(pk__in=list(expired.values_list("pk", flat=True)[:100])).delete()
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(
                user=user, scope=scope, key_hash=key_hash, fingerprint=content_hash, created_at=now
            )
    except IntegrityError:
        row = IdempotencyKey.objects.get(user=user, scope=scope, key_hash=key_hash)
        if row.fingerprint != content_hash:
            raise KeyReused(scope) from None
        return Claim(row=row, replayed=True)
    return Claim(row=row, replayed=False)


def submission_complete(claim: Claim, result_id: Any) -> None:
    """Record what the claimed submission created."""
    claim.row.result_id = str(result_id)
    claim.row.save(update_fields=["result_id"])
