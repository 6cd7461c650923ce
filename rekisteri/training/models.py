"""The student register (sections 2, 4 and 6): courses, their instances, enrollments,
results and certificates.

Grades, completion dates and verification codes are personal values, encrypted under the
student's data key (encryption/fields.py), so every row that holds one names its person.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from rekisteri.encryption.fields import EncryptedTextField


class GradingScale(models.TextChoices):
    PASS_FAIL = "pass_fail", _("Pass / fail")
    ZERO_TO_FIVE = "0-5", _("0-5 (0 fails)")
    ONE_TO_FIVE = "1-5", _("1-5")


# The grades each scale accepts, and whether a grade can pass at all.
SCALE_GRADES: dict[str, tuple[str, ...]] = {
    GradingScale.PASS_FAIL: ("pass", "fail"),
    GradingScale.ZERO_TO_FIVE: ("0", "1", "2", "3", "4", "5"),
    GradingScale.ONE_TO_FIVE: ("1", "2", "3", "4", "5"),
}
FAILING_GRADES = {"fail", "0"}


class Course(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name_fi = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    # Section 1: the group company that provides the training.
    company = models.ForeignKey("privacy.GroupCompany", on_delete=models.PROTECT, related_name="courses")
    grading_scale = models.CharField(
        max_length=16, choices=GradingScale.choices, default=GradingScale.PASS_FAIL
    )
    # A course that leads to a licensed certificate names the body that grants it (a processor).
    license_body = models.CharField(max_length=200, blank=True)
    # Section 4: the license body needs the student's birth date to tell students apart.
    license_requires_birth_date = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        permissions = [
            ("report_training", "Can report training results to a customer organization"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "fi").startswith("en") else self.name_fi


class CourseInstance(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="instances")
    starts_on = models.DateField()
    ends_on = models.DateField()
    place = models.CharField(max_length=200, blank=True)
    online = models.BooleanField(default=False)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    # Section 11: a trainer sees only the instances they teach.
    trainers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="training_instances", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "id"]
        indexes = [
            # Serves the instance list, newest first.
            models.Index(fields=["-starts_on", "id"], name="instance_starts_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="instance_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course_id} {self.starts_on}"


class EnrollmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    ATTENDED = "attended", _("Attended")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Enrollment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Its index (person first, unique_enrollment) serves a person's courses.
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="enrollments", db_index=False
    )
    instance = models.ForeignKey(CourseInstance, on_delete=models.PROTECT, related_name="enrollments")
    # Section 6: the customer organization under which the student attends; the only
    # recipient of their results without the student's permission.
    organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enrollments",
    )
    status = models.CharField(
        max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ENROLLED
    )
    enrolled_at = models.DateTimeField(default=timezone.now)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["enrolled_at"]
        constraints = [models.UniqueConstraint(fields=["person", "instance"], name="unique_enrollment")]
        indexes = [
            # Serves the training report of one organization.
            models.Index(fields=["organization", "enrolled_at"], name="enrollment_org_idx"),
        ]

    def __str__(self) -> str:
        return f"enrollment {self.pk}"


class Result(models.Model):
    """The grade of one enrollment. A grade once given changes only with a reason (ResultChange)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    enrollment = models.OneToOneField(Enrollment, on_delete=models.CASCADE, related_name="result")
    # Denormalised from the enrollment: the data key and the registry need the person.
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    grade = EncryptedTextField(person_attr="person_id", max_length=16)
    # ISO date, encrypted: "suoritusajankohta" is a personal value.
    completed_on = EncryptedTextField(person_attr="person_id", max_length=10)
    passed = models.BooleanField()
    graded_at = models.DateTimeField(default=timezone.now)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"result {self.pk}"


class ResultChange(models.Model):
    """One change of a given grade, with its reason; values under the student's key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="changes")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    before = EncryptedTextField(person_attr="person_id", empty_as_null=False)  # JSON
    after = EncryptedTextField(person_attr="person_id", empty_as_null=False)  # JSON
    reason = EncryptedTextField(person_attr="person_id", max_length=1000, empty_as_null=False)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["changed_at"]

    def __str__(self) -> str:
        return f"result change {self.pk}"


class Certificate(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    enrollment = models.OneToOneField(Enrollment, on_delete=models.CASCADE, related_name="certificate")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    # Course code, year and a running number: no personal value.
    number = models.CharField(max_length=64, unique=True)
    issued_on = models.DateField(default=timezone.localdate)
    # The public check looks the code up by its hash; the code itself (printed on the PDF)
    # is kept under the student's key, so an erased student's certificate answers "not valid".
    code_hash = models.CharField(max_length=64, unique=True)
    verification_code = EncryptedTextField(person_attr="person_id", max_length=32, empty_as_null=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_on", "number"]

    def __str__(self) -> str:
        return self.number

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None


class DisclosurePermission(models.Model):
    """Section 6: the student's recorded permission to disclose their training data to a
    recipient other than the customer organization under which they attended."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    # The recipient's name, under the student's key (it tells where the student applies).
    recipient = EncryptedTextField(person_attr="person_id", max_length=200, empty_as_null=False)
    granted_on = models.DateField(default=timezone.localdate)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Serves the permission check of one person.
            models.Index(fields=["person"], name="training_permission_person_idx"),
        ]

    def __str__(self) -> str:
        return f"permission {self.pk}"


class PortalLink(models.Model):
    """A student's way to their own results through the portal: a single-use link mailed to
    the address in the register ("verify"); once confirmed it opens a short session
    ("session") for reading the results and downloading certificates. Only the token's
    SHA-256 is stored."""

    class Kind(models.TextChoices):
        VERIFY = "verify", _("Link mailed to the student")
        SESSION = "session", _("Session opened by the confirmed link")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    # Serves the lookup when the link is opened.
    token_hash = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} link {self.pk}"
