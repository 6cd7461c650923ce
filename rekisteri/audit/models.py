"""The audit trail: append-only, hash-chained events that hold ids, never personal values."""

from __future__ import annotations

from django.db import models

from rekisteri.db.fields import RowIdAutoField


class AuditEvent(models.Model):
    # Gapless position in the chain, taken under the head lock in the same transaction
    # as the change it records (a database sequence would leave gaps on rollback).
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    # A non-personal label for who acted when no user did: "cli:demo", "task:retention".
    actor_label = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=32)
    object_type = models.CharField(max_length=64)
    # Canonical JSON lists of ids, stored as text so the bytes hashed are the bytes stored
    # (PostgreSQL's jsonb would reorder keys).
    object_ids = models.TextField(default="[]")
    person_ids = models.TextField(default="[]")
    purpose = models.CharField(max_length=64, blank=True)
    origin = models.CharField(max_length=16)
    # Canonical JSON object of non-personal details (changed field names, result counts).
    detail = models.TextField(default="{}")
    prev_hash = models.CharField(max_length=64)
    # HMAC-SHA256 under the audit key named by key_id (rekisteri.audit.chain); "" marks an
    # event chained with plain SHA-256 before the chain was keyed.
    hash = models.CharField(max_length=64)
    # A default in the database: adding the column then needs no copy of the whole trail.
    key_id = models.CharField(max_length=64, blank=True, db_default="")

    class Meta:
        ordering = ["seq"]
        indexes = [
            # Serves the privacy officer's filters by staff member and by date.
            models.Index(fields=["actor_user_id", "seq"], name="audit_actor_idx"),
            models.Index(fields=["at"], name="audit_at_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}"


class AuditSubject(models.Model):
    """Index of the persons an event touched, for filtering the trail by person.

    Derived from AuditEvent.person_ids (which is hashed); `audit verify` checks the two agree.
    """

    # Never deleted (the triggers) and referred to by nothing: the rowid serves as id.
    id = RowIdAutoField(primary_key=True)

    # No foreign-key constraint in the database: subjects are written only with their event,
    # in the same statement or transaction (audit services), never changed (the triggers),
    # and `audit verify` checks them against the hashed person_ids. On PostgreSQL the check
    # is a trigger query per row, which a bulk event naming 5,000 persons runs 5,000 times.
    event = models.ForeignKey(
        AuditEvent, on_delete=models.PROTECT, related_name="subjects", db_constraint=False
    )
    person_id = models.UUIDField()

    class Meta:
        indexes = [
            # Serves the privacy officer's filter "every event about this person".
            models.Index(fields=["person_id", "event"], name="audit_subject_person_idx"),
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} / person {self.person_id}"


class AuditHead(models.Model):
    """The single row holding the chain head; locking it serialises appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    # The hash before the last append: on PostgreSQL one UPDATE moves the head and hands the
    # old hash to the new event through RETURNING (which shows only new values).
    prev_hash = models.CharField(max_length=64, default="", blank=True)
    # HMAC of (seq, hash) under the audit key's seal key, held by no event: rewinding the
    # head to an earlier event needs the seal it had then, which was overwritten.
    seal = models.CharField(max_length=64, default="", blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single_row")]

    def __str__(self) -> str:
        return f"head at #{self.seq}"
