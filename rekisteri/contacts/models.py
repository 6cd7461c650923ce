"""Contact history and tracking data (section 4: kontaktihistoria, palaute, seurantatiedot)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.encryption.fields import EncryptedTextField


class Interaction(models.Model):
    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        CALL = "call", _("Phone call")
        EMAIL = "email", _("E-mail")
        EVENT = "event", _("Event")
        FEEDBACK = "feedback", _("Feedback")
        NOTE = "note", _("Note")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = EncryptedTextField(person_attr="person_id", empty_as_null=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            # Serves the person card's timeline, newest first.
            models.Index(fields=["person", "-occurred_at"], name="interaction_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_at:%Y-%m-%d}"


class TrackingEvent(models.Model):
    """One tracked action of a person: a newsletter open or click, a web visit.

    Newsletters come later; the model is here so contact history and access packages
    already cover tracking data.
    """

    class Kind(models.TextChoices):
        NEWSLETTER_OPEN = "newsletter_open", _("Newsletter opened")
        NEWSLETTER_CLICK = "newsletter_click", _("Newsletter link clicked")
        WEB_VISIT = "web_visit", _("Web visit")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="tracking_events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    # A campaign or page reference; encrypted because it tells what the person read.
    reference = EncryptedTextField(person_attr="person_id", max_length=200)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            # Serves the person card and access package: a person's events, newest first.
            models.Index(fields=["person", "-occurred_at"], name="tracking_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_at:%Y-%m-%d}"
