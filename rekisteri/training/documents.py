"""A certificate as a PDF: read under the student's key, audited as an export."""

from __future__ import annotations

from datetime import date

from django.conf import settings

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.training.models import Certificate, GradingScale
from rekisteri.training.pdf import certificate_pdf

CHECK_PATH = "/portal/certificate/"
_PASS_FAIL = {"pass": "Hyväksytty / Pass", "fail": "Hylätty / Fail"}


def _finnish_date(value: date | str) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day}.{day.month}.{day.year}"


def certificate_document(*, actor: Actor, certificate: Certificate) -> bytes:
    """The certificate's PDF; the read of the student's name, grade and code is audited."""
    enrollment = certificate.enrollment
    course = enrollment.instance.course
    result = enrollment.result
    grade = result.grade
    if course.grading_scale == GradingScale.PASS_FAIL:
        grade = _PASS_FAIL.get(grade, grade)
    else:
        grade = f"{grade} ({course.grading_scale})"
    content = certificate_pdf(
        company=course.company.name,
        student=enrollment.person.full_name,
        course_fi=course.name_fi,
        course_en=course.name_en,
        completed_on=_finnish_date(result.completed_on),
        grade=grade,
        number=certificate.number,
        issued_on=_finnish_date(certificate.issued_on),
        verification_code=certificate.verification_code,
        check_url=settings.PUBLIC_BASE_URL + CHECK_PATH,
        license_body=course.license_body,
    )
    audit_record(
        actor=actor,
        action="export",
        object_type="certificate",
        object_ids=[certificate.pk],
        person_ids=[certificate.person_id],
        detail={"format": "pdf"},
    )
    return content
