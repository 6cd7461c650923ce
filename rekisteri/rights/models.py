"""The register of data-subject requests (GDPR Art. 12-22, section 8 of the notice).

A request's own personal values (the requester's address, name and message) are encrypted
under a data key of the request itself, so they can be destroyed when the request record
expires, independently of the person it concerns.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.encryption.fields import EncryptedTextField


class RequestType(models.TextChoices):
    ACCESS = "access", _("Access to data (Art. 15)")
    RECTIFICATION = "rectification", _("Rectification (Art. 16)")
    ERASURE = "erasure", _("Erasure (Art. 17)")
    RESTRICTION = "restriction", _("Restriction of processing (Art. 18)")
    PORTABILITY = "portability", _("Data portability (Art. 20)")
    OBJECTION = "objection", _("Objection (Art. 21)")
    CONSENT_WITHDRAWAL = "consent_withdrawal", _("Withdrawal of consent (Art. 7)")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    PORTAL = "portal", _("Self-service portal")


class Status(models.TextChoices):
    NEW = "new", _("New")
    AWAITING_VERIFICATION = "awaiting_verification", _("Awaiting identity verification")
    IN_PROGRESS = "in_progress", _("In progress")
    FULFILLED = "fulfilled", _("Fulfilled")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


CLOSED_STATUSES = {Status.FULFILLED, Status.REFUSED, Status.WITHDRAWN}


class Verification(models.TextChoices):
    NONE = "", _("Not verified yet")
    PORTAL_LINK = "portal_link", _("Confirmed a single-use link sent to the address in the register")
    EMAIL_FROM_KNOWN_ADDRESS = "email_known_address", _("E-mail from the address in the register")
    PHONE_CALLBACK = "phone_callback", _("Called back at the number in the register")
    ID_DOCUMENT = "id_document", _("Identity document checked")
    IN_PERSON = "in_person", _("Identified in person")
    FAILED = "failed", _("Identity could not be verified")


class RefusalKind(models.TextChoices):
    IDENTITY = "identity_not_verified", _("Identity could not be verified (Art. 12(6))")
    UNFOUNDED = "manifestly_unfounded", _("Manifestly unfounded (Art. 12(5))")
    EXCESSIVE = "excessive", _("Excessive, in particular repetitive (Art. 12(5))")
    OBLIGATION_TO_KEEP = "obligation_to_keep", _("An obligation to keep the data applies (Art. 17(3))")
    NOT_APPLICABLE = "not_applicable", _("The conditions of the right are not met")
    OTHER = "other", _("Other reasons")


class DataSubjectRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # A short public reference for letters and mails, e.g. "PR-7K3Q9X".
    reference = models.CharField(max_length=16, unique=True)
    type = models.CharField(max_length=32, choices=RequestType.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    language = models.CharField(max_length=5, default="fi")
    received_on = models.DateField()
    # The moment of receipt, when the register itself received the request (the portal).
    # Staff enter the day a letter, call or e-mail came: its clock time is not known, and
    # none is made up (null).
    received_at = models.DateTimeField(null=True, blank=True)
    # The requester's own values, under this request's own data key.
    requester_email = EncryptedTextField(person_attr="pk", max_length=254)
    requester_name = EncryptedTextField(person_attr="pk", max_length=200)
    details = EncryptedTextField(person_attr="pk", max_length=5000)
    # The person in the register the request concerns, once identified. Detached (not
    # deleted) when the person is erased: the request record proves the erasure was done.
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="rights_requests"
    )
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.NEW)
    verification = models.CharField(max_length=32, choices=Verification.choices, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_note = EncryptedTextField(person_attr="pk", max_length=1000)
    # Art. 12(3): one month from receipt, extendable by two with reasons told in time.
    due_on = models.DateField()
    extension_months = models.PositiveSmallIntegerField(default=0)
    extension_reason = EncryptedTextField(person_attr="pk", max_length=2000)
    extension_notified_on = models.DateField(null=True, blank=True)
    extension_notified_via = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )
    decision = EncryptedTextField(person_attr="pk", max_length=5000)
    refusal_kind = models.CharField(max_length=32, choices=RefusalKind.choices, blank=True)
    response_channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    fee_cents = models.PositiveIntegerField(null=True, blank=True)
    fee_reason = EncryptedTextField(person_attr="pk", max_length=1000)
    closed_at = models.DateTimeField(null=True, blank=True)
    # An erasure request's proof (rekisteri.privacy.erasure_proof): key destroyed, rows per
    # model, checkpoints, the byte scan's result. Ids and counts only, so not encrypted.
    erasure_evidence = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "received_on", "created_at"]
        indexes = [
            # Serves the privacy officer's list: open requests by due date (due soon, overdue).
            models.Index(fields=["status", "due_on"], name="dsr_status_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(extension_months__lte=2), name="dsr_extension_at_most_two_months"
            ),
            models.CheckConstraint(
                condition=Q(extension_months=0) | Q(extension_notified_on__isnull=False),
                name="dsr_extension_requires_notification",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES


class VerificationLink(models.Model):
    """A single-use link mailed to the address a portal request gave (SHA-256 of the token only)."""

    request = models.ForeignKey(
        DataSubjectRequest, on_delete=models.CASCADE, related_name="verification_links"
    )
    # Serves the lookup when the link is opened.
    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=16, default="verify")  # "verify" or "download"
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.purpose} link of {self.request_id}"


class PortalThrottle(models.Model):
    """Counts portal submissions per keyed hash of an address or a client, per time window."""

    key = models.CharField(max_length=80)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="portal_throttle_window")]

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.count}"


class ObjectionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the privacy officer's decision")
    COMPELLING_GROUNDS = "compelling_grounds", _("Compelling legitimate grounds override the objection")
    PROCESSING_STOPPED = "processing_stopped", _("The processing was stopped")


class ObjectionDecision(models.Model):
    """Art. 21(1): an objection to processing based on legitimate interest, for the privacy
    officer to decide: compelling legitimate grounds that override the person's interests,
    or the processing stops. Its reasons belong to the request record (the request's key).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(
        DataSubjectRequest, on_delete=models.CASCADE, related_name="objection_decisions"
    )
    # Detached (not deleted) on erasure, like the request itself.
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="objection_decisions"
    )
    purposes = models.JSONField(default=list)  # Purpose slugs the objection concerns
    status = models.CharField(max_length=32, choices=ObjectionStatus.choices, default=ObjectionStatus.PENDING)
    reasons = EncryptedTextField(person_attr="request_id", max_length=5000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # Serves the privacy officer's list of objections waiting for a decision.
            models.Index(fields=["status", "created_at"], name="objection_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="objection_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"objection {self.status}"


class AnswerKind(models.TextChoices):
    ACCESS = "access", _("Access package (Art. 15)")
    PORTABILITY = "portability", _("Data portability export (Art. 20)")


class RequestAnswer(models.Model):
    """The answer as it was given: the Art. 15 package or the Art. 20 export, built once at
    fulfilment and stored encrypted under the request's own key, so the download link hands
    out exactly what was answered on that day (and the register can show what it answered).
    The rows go with the person on erasure (personal-data registry).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(DataSubjectRequest, on_delete=models.CASCADE, related_name="answers")
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="rights_answers"
    )
    kind = models.CharField(max_length=16, choices=AnswerKind.choices)
    content_json = EncryptedTextField(person_attr="request_id", empty_as_null=False)
    content_csv = EncryptedTextField(person_attr="request_id")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["request", "kind"], name="one_answer_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} answer of {self.request_id}"
