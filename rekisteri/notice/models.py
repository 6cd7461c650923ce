"""The privacy notice as a property of the register: its own configuration and its versions.

The controller and its representative live where processing reads them (privacy.GroupCompany);
what only the notice states (the supervisory authority's contact details as published) lives
here. Every published version is a frozen rendering of the configuration: what people were
told, in both languages, from its effective date on.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NoticeSettings(models.Model):
    """One row (id 1): the supervisory authority as the notice names it (section 8).

    A blank field means the deployment's default (REKISTERI_AUTHORITY_*)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    authority_name_fi = models.CharField(max_length=200, blank=True)
    authority_name_en = models.CharField(max_length=200, blank=True)
    authority_street_address = models.CharField(max_length=200, blank=True)
    authority_postal_address = models.CharField(max_length=200, blank=True)
    authority_phone = models.CharField(max_length=64, blank=True)
    authority_email = models.EmailField(blank=True)
    authority_url = models.URLField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "notice settings"
        permissions = [("manage_notice", "Can edit, draft and publish the privacy notice")]
        constraints = [models.CheckConstraint(condition=Q(id=1), name="notice_settings_singleton")]

    def __str__(self) -> str:
        return "notice settings"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class NoticeVersion(models.Model):
    """One version of the notice. A draft follows the configuration; a published version
    never changes again (services refuse it, and save() guards the row)."""

    # Given at publication: versions are numbered in the order they were published.
    number = models.PositiveIntegerField(null=True, blank=True, unique=True)
    status = models.CharField(max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    # {"fi": {...document...}, "en": {...}} and the facts for machines (?format=json).
    document = models.JSONField(default=dict)
    facts = models.JSONField(default=dict)
    # The plain text in each language: what the diff view compares.
    text_fi = models.TextField(blank=True)
    text_en = models.TextField(blank=True)
    # Why the draft was made: a code ("controller", "authority", "manual"), never values.
    reasons = models.JSONField(default=list)
    summary = models.TextField(blank=True)
    significant = models.BooleanField(default=False)
    effective_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Section 12: when the announcement to every person with an address was queued, and to how many.
    announced_at = models.DateTimeField(null=True, blank=True)
    announced_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-number"]
        indexes = [
            # Serves "the version in force today": the newest published one already effective.
            models.Index(fields=["status", "effective_on"], name="notice_version_effective_idx"),
        ]
        constraints = [
            # One draft at a time: every configuration change updates it.
            models.UniqueConstraint(fields=["status"], condition=Q(status="draft"), name="notice_one_draft"),
            models.CheckConstraint(
                condition=Q(status="draft")
                | (Q(number__isnull=False) & Q(effective_on__isnull=False) & Q(published_at__isnull=False)),
                name="notice_published_is_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"notice v{self.number}" if self.number else "notice draft"

    def save(self, *args, **kwargs):
        # Invariant of the row: once published, a version is what people were told. (The
        # announcement's bookkeeping is written with a queryset update, past this guard.)
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == VersionStatus.PUBLISHED:
                raise ValueError("A published notice version cannot be changed.")
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED


class InformationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    POST = "post", _("Post")
    IN_PERSON = "in_person", _("In person")


class SourceInformation(models.Model):
    """Art. 14: that a person whose data came from someone else (section 5: the employer, a
    customer's contact notice, public sources, Suomen Asiakastieto) was told of it, once per
    collection (the source row): when, how, with which notice version and through which mail.

    Due within a month of the collection, or at the first communication if that comes first
    (Art. 14(3)); rekisteri.notice.informing lists who is due and sends the information."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="source_informations")
    # One row per collection: the same collection is never informed twice.
    source = models.OneToOneField("privacy.DataSource", on_delete=models.CASCADE, related_name="information")
    informed_on = models.DateField(default=timezone.localdate)
    informed_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=16, choices=InformationChannel.choices)
    # The version in force when the information was sent (None before any was published).
    notice_version = models.ForeignKey(
        NoticeVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The outbox mail that carried it (rekisteri.outbox.OutgoingMail.id), without a key:
    # the mail's row outlives this one and this one may outlive the mail's content.
    mail_id = models.UUIDField(null=True, blank=True)
    informed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-informed_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel="email") | Q(mail_id__isnull=False), name="information_email_has_mail"
            ),
        ]

    def __str__(self) -> str:
        return f"Art. 14 information {self.pk} ({self.channel})"
