"""Section 11: "binding written instructions ... which the employees have committed to follow",
and "reviews its processing ... and assesses the risks, e.g. when new technology comes in"."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StaffInstruction(models.Model):
    """One version of the written instructions, in Finnish and English. Versions are never
    edited: a change is a new version, which every member must acknowledge anew."""

    version = models.PositiveIntegerField(unique=True)
    title_fi = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_fi = models.TextField()
    body_en = models.TextField()
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"instructions v{self.version}"

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_fi

    def body(self, language: str) -> str:
        return self.body_en if language == "en" else self.body_fi


class InstructionAcknowledgement(models.Model):
    """A member read a version and committed to follow it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    instruction = models.ForeignKey(
        StaffInstruction, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Its index serves the gate's "has this member acknowledged the current version?".
            models.UniqueConstraint(fields=["user", "instruction"], name="acknowledged_once"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} acknowledged v{self.instruction.version}"


class AccessReview(models.Model):
    """The privacy officer went through the access review (to be done every quarter)."""

    reviewed_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    period_days = models.PositiveIntegerField()
    # What was found and done, in the officer's words (no personal data of the register).
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-reviewed_at"]

    def __str__(self) -> str:
        return f"access review {self.reviewed_at:%Y-%m-%d}"


class AccessReviewReminder(models.Model):
    """A reminder mailed to the privacy officers that the quarterly access review is due."""

    due_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField()

    class Meta:
        ordering = ["-sent_at"]
        # Serves "the last reminder for this due date" of the daily job.
        indexes = [models.Index(fields=["due_on", "sent_at"], name="review_reminder_due_idx")]

    def __str__(self) -> str:
        return f"access review reminder {self.sent_at:%Y-%m-%d} (due {self.due_on})"


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class RiskDecision(models.TextChoices):
    MITIGATE = "mitigate", _("Reduce with measures")
    ACCEPT = "accept", _("Accept")
    AVOID = "avoid", _("Avoid (do not do it)")
    TRANSFER = "transfer", _("Transfer (contract, insurance)")


class Risk(models.Model):
    """An entry of the risk register: what could go wrong, how likely and how bad, what was
    decided, who owns it and when it is looked at again."""

    title = models.CharField(max_length=200)
    description = models.TextField()
    likelihood = models.CharField(max_length=8, choices=RiskLevel.choices)
    impact = models.CharField(max_length=8, choices=RiskLevel.choices)
    assessment = models.TextField()
    decision = models.CharField(max_length=10, choices=RiskDecision.choices)
    measures = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    review_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["review_on", "pk"]

    def __str__(self) -> str:
        return self.title
