"""The key store: wrapped data keys and the erasure journal, in a database of their own.

These tables live in the "keystore" database (see router.py), never beside the register
data, so a backup of the register holds no keys, and destroying a key here makes the
person's ciphertexts everywhere (WAL, backups, replicas) unreadable.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class DataKey(models.Model):
    """One person's data key, wrapped by a master key (AES-256-GCM)."""

    person_id = models.UUIDField(primary_key=True)
    wrapped = models.BinaryField()
    # Serves key rotation: "every key still wrapped by master key X".
    master_key_id = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"data key of {self.person_id} ({self.master_key_id})"


class IndexKey(models.Model):
    """The blind-index key, wrapped by a master key; one row."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    wrapped = models.BinaryField()
    master_key_id = models.CharField(max_length=64)
    # The width the index was built with; searching with another width would find nothing.
    bits = models.PositiveSmallIntegerField(default=20)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"index key ({self.master_key_id})"


class KeyCheck(models.Model):
    """A value encrypted under each master key, so a wrong key fails at start-up."""

    master_key_id = models.CharField(max_length=64, primary_key=True)
    check_value = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"key check {self.master_key_id}"


class ErasureTombstone(models.Model):
    """The erasure journal: who was erased, when and why. Ids only, never values.

    Restores replay this journal, so a person erased after a backup was taken stays erased.
    """

    person_id = models.UUIDField(primary_key=True)
    erased_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=200)
    request_ref = models.CharField(max_length=100, blank=True)
    # A keyed hash of the e-mail address, for a marketing suppression list (an erased
    # person must not be re-added to newsletters). Blank when there was no address.
    email_hash = models.CharField(max_length=64, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"erased {self.person_id} at {self.erased_at:%Y-%m-%d}"
