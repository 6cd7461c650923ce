"""Retention rules (section 7), legal holds, and the reports of what the sweep erased.

Rules are data: the privacy officer reads each with its legal reason, and the sweep
(rekisteri.retention.services.retention_sweep) evaluates them. No personal values here:
rules and holds name persons and organizations by id, reports hold ids, rule codes and dates.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from rekisteri.errors import ServiceError
from rekisteri.lib.deadlines import parse_period

# Section 7: "viimeistään kahden vuoden välein". No rule without a statute behind it may keep
# data longer than this after its anchor.
CEILING = "P2Y"
# The rule that applies to every person and guarantees the ceiling; it cannot be switched off.
CEILING_RULE = "ceiling"


class Anchor(models.TextChoices):
    """The event a rule's period runs from."""

    CUSTOMER_RELATIONSHIP_END = "customer_relationship_end", _("End of the customer relationship")
    LAST_CONTACT = "last_contact", _("Last contact")
    COURSE_COMPLETION = "course_completion", _("Course completion")
    CONTRACT_END = "contract_end", _("End of the contract")
    CONSENT_WITHDRAWAL = "consent_withdrawal", _("Withdrawal or end of consent")
    REQUEST_CLOSURE = "request_closure", _("Closure of the data-subject request")


class Category(models.TextChoices):
    """The groups of data subjects a rule covers (section 4), or the request register."""

    ANY = "any", _("Every person")
    CUSTOMER_REPRESENTATIVE = "customer_representative", _("Customer representatives")
    PROSPECT_CONTACT = "prospect_contact", _("Prospect contacts")
    STUDENT = "student", _("Students")
    REQUEST_RECORD = "request_record", _("Records of data-subject requests")


class RetentionRule(models.Model):
    """How long data of one category, kept for one purpose, is kept after its anchor event."""

    code = models.SlugField(max_length=64, unique=True)
    # Blank: every purpose (the ceiling rule). A slug of privacy.Purpose otherwise.
    purpose = models.ForeignKey(
        "privacy.Purpose", null=True, blank=True, on_delete=models.PROTECT, related_name="retention_rules"
    )
    category = models.CharField(max_length=32, choices=Category.choices)
    # ISO 8601, e.g. "P2Y", "P6M" (rekisteri.lib.deadlines.parse_period).
    period = models.CharField(max_length=32)
    anchor = models.CharField(max_length=32, choices=Anchor.choices)
    legal_reason_fi = models.TextField()
    legal_reason_en = models.TextField()
    # A statute that requires keeping longer than the ceiling (named in the legal reason).
    statutory = models.BooleanField(default=False)
    # Without it, what the rule lets expire waits in the backlog for the privacy officer.
    auto_confirm = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(code=CEILING_RULE) | (Q(active=True) & Q(category="any") & Q(purpose=None)),
                name="ceiling_rule_covers_everyone",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def legal_reason(self) -> str:
        return self.legal_reason_en if (get_language() or "fi").startswith("en") else self.legal_reason_fi

    @property
    def parsed_period(self):
        return parse_period(self.period)

    def clean(self) -> None:
        try:
            period = parse_period(self.period)
        except ValueError:
            message = _("not an ISO 8601 period of years, months, weeks and days: %(value)s")
            error = ServiceError(
                message, code="retention_rule.period_form", params={"value": repr(self.period)}
            )
            raise ValidationError({"period": error}) from None
        self.period = period.text
        if not self.statutory and period.longer_than(parse_period(CEILING)):
            raise ServiceError(
                _("Longer than %(ceiling)s needs a statute (section 7): mark the rule statutory."),
                code="retention_rule.beyond_ceiling",
                params={"ceiling": CEILING},
                field="period",
            )
        if self.statutory and self.code == CEILING_RULE:
            raise ServiceError(
                _("The ceiling rule keeps the notice's two-year promise."),
                code="retention_rule.ceiling",
                field="statutory",
            )
        if not self.legal_reason_fi.strip() or not self.legal_reason_en.strip():
            raise ServiceError(
                _("Every rule states its legal reason."),
                code="retention_rule.legal_reason",
                field="legal_reason_fi",
            )
        if (self.category == Category.REQUEST_RECORD) != (self.anchor == Anchor.REQUEST_CLOSURE):
            raise ServiceError(
                _("Request records, and only they, run from the request's closure."),
                code="retention_rule.anchor",
                field="anchor",
            )


class LegalHold(models.Model):
    """A person or an organization (all its contacts) whose data must not be erased: a legal
    claim, a statutory duty (accounting records), an authority's request. Beats every rule."""

    class Kind(models.TextChoices):
        LEGAL_CLAIM = "legal_claim", _("Legal claim (establishment, exercise or defence)")
        STATUTORY_DUTY = "statutory_duty", _("Statutory duty to keep (e.g. accounting records)")
        AUTHORITY = "authority", _("Request of an authority")
        PROTECTED_PURPOSE = "protected_purpose", _("Protected purpose")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="legal_holds"
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="legal_holds",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # The reason as a short non-personal description (a case number, a statute); the
    # audit trail names only the kind.
    reason = models.CharField(max_length=500)
    starts_on = models.DateField(default=timezone.localdate)
    ends_on = models.DateField()
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["ends_on"]
        indexes = [
            # Serves "holds in force on a day" (the sweep reads them all once per run).
            models.Index(fields=["ends_on"], name="hold_ends_idx", condition=Q(released_at=None)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) ^ Q(organization__isnull=False),
                name="hold_names_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="hold_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} until {self.ends_on}"

    def in_force(self, day) -> bool:
        return self.released_at is None and self.starts_on <= day <= self.ends_on


class Confirmation(models.Model):
    """The privacy officer's confirmation of a rule's backlog: persons whose data the rule
    let expire on or before `through` may be erased by the sweep (rules without auto_confirm)."""

    rule = models.ForeignKey(RetentionRule, on_delete=models.CASCADE, related_name="confirmations")
    through = models.DateField()
    count = models.PositiveIntegerField()
    confirmed_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-through"]

    def __str__(self) -> str:
        return f"{self.rule_id} through {self.through}"


class SweepRun(models.Model):
    """The deletion report of one sweep: when, as of which day, what it erased, by rule."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    as_of = models.DateField()
    dry_run = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # "cli:retention", "task:retention_sweep", "ui": non-personal.
    started_by = models.CharField(max_length=100)
    examined = models.PositiveIntegerField(default=0)
    expired = models.PositiveIntegerField(default=0)
    erased = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    awaiting_confirmation = models.PositiveIntegerField(default=0)
    requests_deleted = models.PositiveIntegerField(default=0)
    # Art. 19 tasks created for the recipients of the erased persons' data.
    recipient_notifications = models.PositiveIntegerField(default=0)
    # {rule code: persons erased}
    by_rule = models.JSONField(default=dict)
    # The erasure's evidence over all batches (rekisteri.privacy.erasure_proof.evidence_summary):
    # keys destroyed, rows per model, the checkpoints, the byte scans with every finding's
    # person id. Ids and counts only.
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"sweep as of {self.as_of}"


class SweepErasure(models.Model):
    """One erased person of a sweep: the id, the rule and its anchor day (no values)."""

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(SweepRun, on_delete=models.CASCADE, related_name="erasures")
    person_id = models.UUIDField()
    rule_code = models.CharField(max_length=64)
    anchor_on = models.DateField()
    expired_on = models.DateField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.person_id} ({self.rule_code})"
