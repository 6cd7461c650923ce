"""Section 6: disclosures of student data. The report to a customer organization holds
exactly the enrollments under that organization and is logged per person as a disclosure
(Art. 19 then names the organization on rectification and erasure); any other recipient
gets a student's data only with that student's recorded permission.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.errors import ServiceError, choose_one
from rekisteri.keystore.services import cipher_for, ciphers_for
from rekisteri.organizations.models import Organization
from rekisteri.people.export import csv_safe
from rekisteri.people.models import Person
from rekisteri.people.restriction import restriction_check
from rekisteri.privacy.disclosure import disclosure_record_many
from rekisteri.privacy.models import DisclosureBasis, Recipient
from rekisteri.training.models import Certificate, CourseInstance, DisclosurePermission, Enrollment, Result
from rekisteri.training.pdf import report_pdf
from rekisteri.training.selectors import only_own_instances

FORMATS = ("csv", "pdf", "json")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf", "json": "application/json"}
CATEGORIES = ("name", "training_records")
PURPOSE = "training"
HEADER = (
    "Osallistuja / Participant",
    "Kurssi / Course",
    "Nimi / Name",
    "Alkaa / Starts",
    "Päättyy / Ends",
    "Tila / Status",
    "Arvosana / Grade",
    "Suoritettu / Completed",
    "Todistus / Certificate",
)


class DisclosureRefused(ValidationError):
    """Section 6: no recorded permission of the student for this recipient."""


@dataclass
class Report:
    content: bytes
    content_type: str
    filename: str
    persons: int
    rows: int


def _recipient_name(organization: Organization) -> str:
    suffix = f" ({organization.business_id})" if organization.business_id else ""
    return f"{organization.name}{suffix}"[:200]


class _Decrypter:
    """Decrypts columns read with values_list under each person's cipher, as the fields would
    (same associated data), without building a model instance per row."""

    def __init__(self, ciphers: dict[str, Any]):
        self.ciphers = ciphers

    def __call__(self, model, column: str, blob: Any, row_id: Any, person_id: Any) -> str:
        if blob is None:
            return ""
        key = str(person_id)
        cipher = self.ciphers.get(key)
        if cipher is None:  # no key in this read (erased meanwhile): KeyDestroyed, as a field would
            cipher = self.ciphers[key] = cipher_for(person_id)
        value = cipher.decrypt(blob, table=model._meta.db_table, column=column, row_id=row_id)
        return value or ""


def _rows(enrollments: list[_Enrollment]) -> list[dict[str, Any]]:
    """One plain row per enrollment, names and grades decrypted with one key-store read.

    Only the columns the report shows are read, as plain values decrypted without model
    instances: a report of 2,000 participants spent most of its time building model
    instances (benchmarks/README.md).
    """
    person_ids = {enrollment.person_id for enrollment in enrollments}
    decrypt = _Decrypter(ciphers_for(person_ids))
    persons = {
        pk: (decrypt(Person, "first_name", first, pk, pk), decrypt(Person, "last_name", last, pk, pk))
        for pk, first, last in Person.objects.filter(pk__in=list(person_ids)).values_list(
            "id", "first_name", "last_name"
        )
    }
    enrollment_ids = [enrollment.pk for enrollment in enrollments]
    results = {
        enrollment_id: (
            decrypt(Result, "grade", grade, pk, person_id),
            decrypt(Result, "completed_on", completed_on, pk, person_id),
            passed,
        )
        for enrollment_id, pk, person_id, grade, completed_on, passed in Result.objects.filter(
            enrollment_id__in=enrollment_ids
        ).values_list("enrollment_id", "id", "person_id", "grade", "completed_on", "passed")
    }
    certificates = dict(
        Certificate.objects.filter(enrollment_id__in=enrollment_ids, revoked_at__isnull=True).values_list(
            "enrollment_id", "number"
        )
    )
    rows = []
    for enrollment in enrollments:
        first_name, last_name = persons[enrollment.person_id]
        instance = enrollment.instance
        course = instance.course
        grade, completed_on, passed = results.get(enrollment.pk, ("", "", None))
        rows.append(
            {
                "person_id": str(enrollment.person_id),
                "participant": f"{last_name} {first_name}",
                "course_code": course.code,
                "course_name": course.name_fi,
                "starts_on": instance.starts_on.isoformat(),
                "ends_on": instance.ends_on.isoformat(),
                "status": enrollment.status,
                "grade": grade,
                "passed": passed,
                "completed_on": completed_on,
                "certificate": certificates.get(enrollment.pk, ""),
            }
        )
    rows.sort(key=lambda row: (row["participant"].casefold(), row["starts_on"], row["course_code"]))
    return rows


@dataclass(slots=True)
class _Enrollment:
    """The columns of an enrollment a report shows: plain values, not a model instance."""

    pk: Any
    person_id: Any
    status: str
    instance: CourseInstance


def _enrollments(queryset) -> list[_Enrollment]:
    """Enrollments with their instance and course, which a report shares among many rows."""
    values = list(queryset.values_list("id", "person_id", "instance_id", "status"))
    instances = CourseInstance.objects.select_related("course").in_bulk(list({row[2] for row in values}))
    return [
        _Enrollment(pk=pk, person_id=person_id, status=status, instance=instances[instance_id])
        for pk, person_id, instance_id, status in values
    ]


def _table(rows: list[dict[str, Any]]) -> list[list[str]]:
    keys = (
        "participant",
        "course_code",
        "course_name",
        "starts_on",
        "ends_on",
        "status",
        "grade",
        "completed_on",
    )
    return [[str(row[key]) for key in keys] + [row["certificate"]] for row in rows]


def _render(format: str, organization: Organization, rows: list[dict[str, Any]]) -> bytes:
    today = timezone.localdate().isoformat()
    if format == "json":
        document = {
            "organization": {
                "id": organization.pk,
                "name": organization.name,
                "business_id": organization.business_id,
            },
            "generated_on": today,
            "enrollments": rows,
        }
        return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    if format == "csv":
        out = io.StringIO()
        # Semicolons and a byte-order mark: what Excel in a Finnish locale opens correctly.
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows([csv_safe(cell) for cell in row] for row in _table(rows))
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    return report_pdf(
        title=f"Koulutusraportti / Training report: {organization.name}",
        subtitle=f"{organization.business_id}  {today}  ({len(rows)})",
        header=HEADER,
        rows=_table(rows),
    )


def report_build(*, actor: Actor, organization: Organization, format: str) -> tuple[Report, list[str]]:
    """The report of an organization's people and the ids of the persons in it, not yet
    logged: training_report and training_report_send log it as they hand it out. A trainer's
    report holds their own instances only; persons whose processing is restricted (Art. 18)
    are left out."""
    if format not in FORMATS:
        raise ValidationError({"format": choose_one(FORMATS)})
    enrollments = Enrollment.objects.filter(
        organization=organization, person__restricted_at__isnull=True
    ).order_by("enrolled_at")
    if actor.user is not None and only_own_instances(actor.user):
        enrollments = enrollments.filter(instance__trainers=actor.user)
    enrollments = _enrollments(enrollments)
    rows = _rows(enrollments)
    content = _render(format, organization, rows)
    person_ids = sorted({row["person_id"] for row in rows})
    report = Report(
        content=content,
        content_type=CONTENT_TYPES[format],
        filename=f"koulutusraportti-{organization.pk}-{timezone.localdate().isoformat()}.{format}",
        persons=len(person_ids),
        rows=len(rows),
    )
    return report, person_ids


def report_disclosures_record(
    *,
    actor: Actor,
    organization: Organization,
    report: Report,
    person_ids: list[str],
    format: str,
    **detail: Any,
) -> None:
    """Log every person of the report as disclosed to the organization (section 6), inside
    the caller's transaction."""
    if person_ids:
        disclosure_record_many(
            actor=actor,
            person_ids=person_ids,
            categories=CATEGORIES,
            purpose=PURPOSE,
            recipient_name=_recipient_name(organization),
            basis=DisclosureBasis.CUSTOMER_ORGANIZATION,
            detail={"organization": organization.pk, "format": format, "rows": report.rows, **detail},
        )


def training_report(*, actor: Actor, organization: Organization, format: str) -> Report:
    """The report of an organization's people to that organization, logged per person as a
    disclosure (basis: the customer organization, section 6)."""
    report, person_ids = report_build(actor=actor, organization=organization, format=format)
    with transaction.atomic():
        report_disclosures_record(
            actor=actor, organization=organization, report=report, person_ids=person_ids, format=format
        )
    return report


def permitted(person_id: Any, recipient: str) -> bool:
    """Whether the student has recorded a permission (not withdrawn) for this recipient."""
    wanted = recipient.strip().casefold()
    permissions = DisclosurePermission.objects.filter(person_id=person_id, withdrawn_at__isnull=True)
    return any(permission.recipient.strip().casefold() == wanted for permission in permissions)


def training_disclose(*, actor: Actor, person: Person, recipient: str) -> list[dict[str, Any]]:
    """One student's training records for a recipient other than their customer organization:
    only with the student's recorded permission (DisclosureRefused otherwise), and logged."""
    restriction_check(person)
    recipient = (recipient or "").strip()
    if not recipient:
        raise ServiceError(_("Name the recipient."), code="disclosure.recipient_required", field="recipient")
    if not permitted(person.pk, recipient):
        raise DisclosureRefused(
            {
                "recipient": ServiceError(
                    _(
                        "The student has not recorded a permission to disclose their training data "
                        "to this recipient (privacy notice, section 6): record their permission first."
                    ),
                    code="training_disclosure.no_permission",
                )
            }
        )
    enrollments = Enrollment.objects.filter(person=person).order_by("enrolled_at")
    if actor.user is not None and only_own_instances(actor.user):
        enrollments = enrollments.filter(instance__trainers=actor.user)
    rows = _rows(_enrollments(enrollments))
    with transaction.atomic():
        disclosure_record_many(
            actor=actor,
            person_ids=[person.pk],
            categories=CATEGORIES,
            purpose=PURPOSE,
            recipient_name=recipient[:200],
            basis=DisclosureBasis.DATA_SUBJECT_PERMISSION,
            detail={"rows": len(rows)},
        )
    return rows


# Section 6: the processor category of the register that license bodies belong to, when a
# course's license body is not in the recipients register by its own name.
LICENSE_PROCESSOR = "Koulutuslupien palveluntarjoaja"


def license_recipient(license_body: str) -> Recipient | None:
    """The recipients register's entry for a license body: its own, else the training-license
    processor's; None when the register has neither (the disclosure then goes by name)."""
    active = Recipient.objects.filter(active=True)
    return (
        active.filter(name=license_body.strip()).first()
        or active.filter(kind=Recipient.Kind.PROCESSOR, name=LICENSE_PROCESSOR).first()
    )


def license_export(*, actor: Actor, instance: Any) -> Report:
    """Section 6: the completions of a licensed course's instance for its license body (a
    processor), as CSV, with the birth date where the license body requires it; every person
    in it is logged as disclosed to the processor."""
    course = instance.course
    if not course.license_body:
        raise ServiceError(
            _("This course leads to no license: there is nobody to export to."),
            code="license_export.no_license",
            field="instance",
        )
    enrollments = _enrollments(
        instance.enrollments.filter(status="completed", person__restricted_at__isnull=True).order_by(
            "enrolled_at"
        )
    )
    rows = _rows(enrollments)
    persons = {
        str(person.pk): person
        for person in Person.objects.filter(pk__in=[e.person_id for e in enrollments]).only(
            "id", "birth_date"
        )
    }
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Osallistuja / Participant", "Syntymäaika / Birth date", *HEADER[1:]])
    for row, cells in zip(rows, _table(rows), strict=True):
        birth_date = persons[row["person_id"]].birth_date if course.license_requires_birth_date else ""
        writer.writerow([csv_safe(cell) for cell in (cells[0], birth_date, *cells[1:])])
    content = ("\ufeff" + out.getvalue()).encode("utf-8")
    categories = CATEGORIES + (("birth_date",) if course.license_requires_birth_date else ())
    with transaction.atomic():
        if rows:
            disclosure_record_many(
                actor=actor,
                person_ids=sorted(persons),
                categories=categories,
                purpose=PURPOSE,
                recipient=license_recipient(course.license_body),
                recipient_name=course.license_body,
                basis=DisclosureBasis.PROCESSOR,
                detail={"instance": instance.pk, "format": "csv", "rows": len(rows)},
            )
    return Report(
        content=content,
        content_type=CONTENT_TYPES["csv"],
        filename=f"lupailmoitus-{course.code}-{instance.pk}.csv",
        persons=len(persons),
        rows=len(rows),
    )
