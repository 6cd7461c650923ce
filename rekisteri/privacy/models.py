"""What the notice promises about each person: purposes, legal bases and sources.

Also the controller and its group companies (sections 1 and 6), as editable data.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from rekisteri.encryption.fields import EncryptedTextField


class GroupCompany(models.Model):
    """The controller and the companies of its group (section 6: disclosure stays inside)."""

    name = models.CharField(max_length=200, unique=True)
    business_id = models.CharField(max_length=32, blank=True)
    is_controller = models.BooleanField(default=False)
    street_address = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    # Section 1: the controller's representative (a role, published in the notice itself).
    representative_name = models.CharField(max_length=200, blank=True)
    representative_title = models.CharField(max_length=200, blank=True)
    representative_phone = models.CharField(max_length=64, blank=True)
    representative_email = models.EmailField(blank=True)
    representative_postal_address = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-is_controller", "name"]
        verbose_name_plural = "group companies"
        constraints = [
            # Exactly one controller at most: the notice names one.
            models.UniqueConstraint(
                fields=["is_controller"], condition=Q(is_controller=True), name="one_controller"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Purpose(models.Model):
    """A purpose of processing from section 2 of the notice."""

    slug = models.SlugField(max_length=64, unique=True)
    name_fi = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300)
    description_fi = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "fi").startswith("en") else self.name_fi


class LegalBasis(models.TextChoices):
    """Section 3 names contract, consent and legitimate interest; a legal obligation also applies."""

    CONTRACT = "contract", _("Contract")
    CONSENT = "consent", _("Consent")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")


class LegitimateInterestGround(models.TextChoices):
    """Section 3: the concrete connection that makes a legitimate interest."""

    CONTACTED_US = "contacted_us", _("The person contacted us on their own initiative")
    EMPLOYER_RELATIONSHIP = "employer_relationship", _("The person's employer is our customer or partner")
    PROSPECT_INTEREST = (
        "prospect_interest",
        _("A prospect's representative reasonably expected to be interested in our offering"),
    )


class ProcessingBasis(models.Model):
    """The legal basis on which one purpose applies to one person."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="bases")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="bases")
    basis = models.CharField(max_length=32, choices=LegalBasis.choices)
    interest_ground = models.CharField(max_length=32, choices=LegitimateInterestGround.choices, blank=True)
    justification = EncryptedTextField(person_attr="person_id")
    valid_from = models.DateField(default=timezone.localdate)
    valid_until = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Art. 7(3): when a consent was withdrawn. The row stays: processing before the
    # withdrawal remains lawful and its record is part of the history.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["purpose__position"]
        constraints = [
            models.UniqueConstraint(fields=["person", "purpose"], name="one_basis_per_purpose"),
            # Section 3: a legitimate interest always names its concrete connection.
            models.CheckConstraint(
                condition=~Q(basis="legitimate_interest") | ~Q(interest_ground=""),
                name="legitimate_interest_has_ground",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="basis_valid_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose.slug}: {self.basis}"


class SourceKind(models.TextChoices):
    """Section 5: the regular sources of the register's data."""

    DATA_SUBJECT = "data_subject", _("The person themselves")
    PUBLIC_SOURCE = "public_source", _("Public sources (such as the web or the trade register)")
    EMPLOYER_OR_PARTNER = (
        "employer_or_partner",
        _("The person's employer or a representative of a customer or partner"),
    )
    ASIAKASTIETO = "asiakastieto", _("Suomen Asiakastieto Oy's registers")


class DataSource(models.Model):
    """Where a person's data came from (section 5); several per person."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="sources")
    kind = models.CharField(max_length=32, choices=SourceKind.choices)
    detail = EncryptedTextField(person_attr="person_id", max_length=300)
    obtained_on = models.DateField(default=timezone.localdate)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["obtained_on"]

    def __str__(self) -> str:
        return self.kind


class Disclosure(models.Model):
    """A disclosure of a person's data to a recipient (section 6), kept so that a
    rectification, erasure or restriction can be notified to every recipient (Art. 19).

    Recorded through rekisteri.privacy.disclosure.disclosure_record by the features that
    disclose (exports to group companies, processors); the recipient is a group company or
    a processor named in the notice, never a natural person.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="disclosures")
    recipient_company = models.ForeignKey(
        GroupCompany, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    # A processor or another recipient outside the group, by its business name.
    recipient_name = models.CharField(max_length=200, blank=True)
    # Section 4 category codes (as in the personal-data registry), e.g. ["name", "email"].
    categories = models.JSONField(default=list)
    disclosed_at = models.DateTimeField(default=timezone.now)
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-disclosed_at"]
        indexes = [
            # Serves Art. 19: the recipients of one person's data.
            models.Index(fields=["person", "-disclosed_at"], name="disclosure_person_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient_company__isnull=False) | ~Q(recipient_name=""),
                name="disclosure_names_recipient",
            ),
        ]

    def __str__(self) -> str:
        return self.recipient

    @property
    def recipient(self) -> str:
        return self.recipient_company.name if self.recipient_company_id else self.recipient_name


class Rectification(models.Model):
    """Art. 16: one correction of a person's data, with the values before and after.

    The values are personal data, so they are encrypted under the person's own key (and go
    with the person on erasure); the audit trail only names the fields.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="rectifications")
    request = models.ForeignKey(
        "rights.DataSubjectRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
    )
    fields = models.JSONField(default=list)  # the names of the fields changed
    # JSON objects {field: value}.
    before = EncryptedTextField(person_attr="person_id", empty_as_null=False)
    after = EncryptedTextField(person_attr="person_id", empty_as_null=False)
    # Art. 19: the recipients (group companies, processors) to notify, by name.
    recipients = models.JSONField(default=list)
    rectified_at = models.DateTimeField(default=timezone.now)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-rectified_at"]

    def __str__(self) -> str:
        return f"rectification of {', '.join(self.fields)}"
