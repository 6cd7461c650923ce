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
    # Section 10: a purpose switched off is no longer processed for (the audit layer refuses
    # it, rekisteri.privacy.purposes); the row stays for the history of bases and events.
    active = models.BooleanField(default=True)

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
        indexes = [
            # Serves the person list's legal-basis filter, with or without a purpose (a
            # purpose alone is served by the purpose's foreign-key index).
            models.Index(fields=["basis", "purpose"], name="basis_kind_purpose_idx"),
        ]
        constraints = [
            # One current basis per purpose; withdrawn ones stay beside it as history (Art. 7(1):
            # the controller must be able to show the consent that applied at the time).
            models.UniqueConstraint(
                fields=["person", "purpose"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_current_basis_per_purpose",
            ),
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
    # Section 5: a Suomen Asiakastieto company check is recorded with the date of its report
    # (the data is as of that day); required for that kind, empty for the others.
    report_date = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["obtained_on"]
        indexes = [
            # Serves the person list's source filter: person ids of a kind from the index alone.
            models.Index(fields=["kind", "person"], name="source_kind_person_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="asiakastieto") | Q(report_date__isnull=False),
                name="asiakastieto_source_has_report_date",
            ),
        ]

    def __str__(self) -> str:
        return self.kind


class DisclosureBasis(models.TextChoices):
    """Section 6: on which ground a disclosure was made (empty on records made before this)."""

    GROUP_COMPANY = "group_company", _("Within the group")
    PROCESSOR = "processor", _("To a processor")
    CUSTOMER_ORGANIZATION = (
        "customer_organization",
        _("To the customer organization under which the student took part"),
    )
    DATA_SUBJECT_PERMISSION = "data_subject_permission", _("With the person's recorded permission")
    # Section 6: to an authority only where the law requires it (Art. 6(1)(c)): a statute or
    # the authority's decision, named in Disclosure.legal_reference.
    LEGAL_OBLIGATION = "legal_obligation", _("Required by law or an authority's decision")


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
    # A processor or another recipient outside the group, by its business name. Kept as
    # written at the time (history), also when the register's entry is renamed later.
    recipient_name = models.CharField(max_length=200, blank=True)
    # The recipients register's entry (section 6) the disclosure went to: a group company,
    # a processor (the specific one named above, e.g. a license body, under its category) or
    # an authority. Empty for recipients outside the register (a customer organization, a
    # recipient the student permitted): Art. 19 then goes by the name.
    recipient_record = models.ForeignKey(
        "privacy.Recipient", null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    # Section 4 category codes (as in the personal-data registry), e.g. ["name", "email"].
    categories = models.JSONField(default=list)
    disclosed_at = models.DateTimeField(default=timezone.now)
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    basis = models.CharField(max_length=32, choices=DisclosureBasis.choices, blank=True)
    # The purpose (Purpose.slug) for which the recipient got the data.
    purpose = models.CharField(max_length=64, blank=True)
    # A disclosure to an authority: the statute or decision that requires it (e.g. "Poliisilaki
    # 4:2, virka-apupyyntö 1234/R/567/26"). It may identify the person's case, so it is under
    # the person's key.
    legal_reference = EncryptedTextField(person_attr="person_id", max_length=300)

    class Meta:
        ordering = ["-disclosed_at"]
        indexes = [
            # Serves Art. 19: the recipients of one person's data.
            models.Index(fields=["person", "-disclosed_at"], name="disclosure_person_idx"),
        ]
        permissions = [
            ("disclose_to_authority", "Can record a disclosure to an authority with its legal basis"),
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


class Recipient(models.Model):
    """Section 6: who receives the register's data. Group companies (internal administrative
    processing on legitimate interest), processors under a data processing agreement (Art. 28)
    with their service, where the data is and when the agreement was signed and last reviewed,
    and authorities (only where the law requires). The Art. 15 information and the record of
    processing read this register; a disclosure names one of them."""

    class Kind(models.TextChoices):
        GROUP_COMPANY = "group_company", _("Group company")
        PROCESSOR = "processor", _("Processor")
        AUTHORITY = "authority", _("Authority")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200, unique=True)
    group_company = models.OneToOneField(
        GroupCompany, null=True, blank=True, on_delete=models.CASCADE, related_name="recipient"
    )
    service_fi = models.CharField(max_length=300)
    service_en = models.CharField(max_length=300)
    # Where the data is stored or processed, e.g. "EU/ETA (Suomi)".
    data_location = models.CharField(max_length=200, blank=True)
    # Art. 28(3): the data processing agreement; a processor without one is flagged (the
    # record of processing names it missing) rather than invented at installation.
    dpa_signed_on = models.DateField(null=True, blank=True)
    review_on = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def service(self) -> str:
        return self.service_en if (get_language() or "fi").startswith("en") else self.service_fi


class RecipientNotification(models.Model):
    """Art. 19: the task of telling one recipient of a person's data of a rectification,
    erasure or restriction, with its deadline and its completion. Ids, names of recipients
    (organizations) and codes only: it outlives the person's erasure."""

    class Event(models.TextChoices):
        RECTIFICATION = "rectification", _("Rectification")
        ERASURE = "erasure", _("Erasure")
        RESTRICTION = "restriction", _("Restriction")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person_id = models.UUIDField()
    recipient_name = models.CharField(max_length=200)
    recipient = models.ForeignKey(
        Recipient, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    event = models.CharField(max_length=16, choices=Event.choices)
    request_ref = models.CharField(max_length=100, blank=True)
    categories = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "created_at"]
        indexes = [
            # Serves the privacy officer's list of open notifications by deadline.
            models.Index(fields=["due_on"], condition=Q(completed_at=None), name="notification_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} notice to {self.recipient_name}"


class ErasureRecord(models.Model):
    """One erasure's proof (rekisteri.privacy.erasure_proof), kept where the privacy officer
    sees it: a request's, a sweep batch's, or a staff deletion's. Ids, counts and results only.

    The byte scan of the database files runs after the erasure has answered, in the worker
    (rekisteri.privacy.erasure_scan); until then the record keeps what to look for: the
    public nonces of the person's ciphertexts and wrapped key (no ciphertext, nothing
    decryptable even with a key from an old key-store backup), XOR-masked with a random mask
    stored beside them, so the stored bytes never equal what the scan searches for. The scan
    completes the evidence and clears them.
    """

    class ScanState(models.TextChoices):
        PENDING = "pending", _("Scan pending")
        DONE = "done", _("Scanned")
        NOT_APPLICABLE = "not_applicable", _("No files to scan")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # ERASURE_REASONS code ("erasure_request", "retention", "other", ...).
    reason = models.CharField(max_length=32)
    request_ref = models.CharField(max_length=100, blank=True)
    # Who erased: "user:<id>" or a system actor's label (never a name).
    erased_by = models.CharField(max_length=100, blank=True)
    # The erased person of a single erasure; a batch's ids are in its audit event.
    person_id = models.UUIDField(null=True, blank=True)
    persons = models.PositiveIntegerField(default=1)
    evidence = models.JSONField(default=dict, blank=True)
    scan_state = models.CharField(max_length=16, choices=ScanState.choices, default=ScanState.NOT_APPLICABLE)
    scanned_at = models.DateTimeField(null=True, blank=True)
    # Until the scan: per probe kind (1 byte), owner index (4 bytes), masked needle.
    probes = models.BinaryField(null=True, blank=True)
    probe_mask = models.BinaryField(null=True, blank=True)
    probe_owners = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            # The privacy officer's list of erasures, newest first.
            models.Index(fields=["-created_at"], name="erasure_record_created_idx"),
            # The scan task's query for the pending ones.
            models.Index(
                fields=["created_at"],
                name="erasure_record_pending_idx",
                condition=Q(scan_state="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"erasure {self.pk}"
