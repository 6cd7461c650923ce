"""Certificates: issued only for a passed course, numbered, with a verification code; the
PDF renders; the public check answers valid / not valid and reveals nothing else."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from rekisteri.api.tests.conftest import assert_error
from rekisteri.audit.models import AuditEvent
from rekisteri.people.services import person_create, person_delete
from rekisteri.training.models import Certificate
from rekisteri.training.services import certificate_issue, enrollment_create, result_set
from rekisteri.training.tests.pdftext import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def passed(system_actor, instance, student):
    enrollment = enrollment_create(actor=system_actor, instance=instance, person=student)
    result_set(
        actor=system_actor, enrollment=enrollment, grade="pass", completed_on=date(2026, 11, 3), passed=True
    )
    return enrollment


def test_a_trainer_issues_a_numbered_certificate_with_a_code(api_as, cast, passed):
    response = api_as(cast.trainer).post(f"/enrollments/{passed.pk}/certificate", {})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == f"TT-1-{date.today().year}-00001"
    assert len(body["verification_code"]) == 19  # XXXX-XXXX-XXXX-XXXX: 80 bits
    certificate = Certificate.objects.get()
    assert certificate.code_hash != body["verification_code"]
    raw = Certificate.objects.values_list("verification_code", flat=True).get()
    assert body["verification_code"].encode() not in bytes(raw)
    assert_error(api_as(cast.trainer).post(f"/enrollments/{passed.pk}/certificate", {}), 422)


def test_no_certificate_for_a_failed_or_ungraded_course(system_actor, instance, person):
    enrollment = enrollment_create(actor=system_actor, instance=instance, person=person)
    with pytest.raises(ValidationError):
        certificate_issue(actor=system_actor, enrollment=enrollment)
    result_set(
        actor=system_actor, enrollment=enrollment, grade="fail", completed_on=date(2026, 11, 3), passed=False
    )
    with pytest.raises(ValidationError):
        certificate_issue(actor=system_actor, enrollment=enrollment)


def test_the_pdf_renders_and_its_read_is_audited(api_as, cast, system_actor, passed):
    certificate = certificate_issue(actor=system_actor, enrollment=passed)
    response = api_as(cast.trainer).get(f"/enrollments/{passed.pk}/certificate")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert b"%%EOF" in response.content[-32:]
    text = pdf_text(response.content)
    assert certificate.number in text and certificate.verification_code in text
    assert "Oona Kurssila" in text and "Työturvallisuus" in text
    assert AuditEvent.objects.filter(action="export", object_type="certificate", origin="api").exists()
    assert_error(api_as(cast.sales).get(f"/enrollments/{passed.pk}/certificate"), 403)


def test_a_name_outside_latin_1_prints_as_itself_on_the_certificate(api_as, cast, system_actor, instance):
    """Not "?": Polish, Romanian, Hungarian, Cyrillic and Greek letters are in the embedded font."""
    student = person_create(
        actor=system_actor, first_name="Łukasz Ţepeş", last_name="Őrsi-Иванова Παπαδόπουλος"
    )
    enrollment = enrollment_create(actor=system_actor, instance=instance, person=student)
    result_set(
        actor=system_actor, enrollment=enrollment, grade="pass", completed_on=date(2026, 11, 3), passed=True
    )
    certificate_issue(actor=system_actor, enrollment=enrollment)
    response = api_as(cast.trainer).get(f"/enrollments/{enrollment.pk}/certificate")
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Łukasz Ţepeş Őrsi-Иванова Παπαδόπουλος" in text
    # The font travels in the file, so the reader needs none installed.
    assert b"/FontFile2" in response.content and b"DejaVuSans" in response.content


def test_the_pdf_font_is_loaded_from_the_package():
    from pathlib import Path

    from rekisteri.training import pdf

    assert pdf.FONT_DIR == Path(pdf.__file__).resolve().parent / "fonts"
    for name in pdf.FONT_FILES.values():
        assert (pdf.FONT_DIR / name).read_bytes()[:4] == b"\x00\x01\x00\x00"  # TrueType
    assert "Bitstream Vera" in (pdf.FONT_DIR / "LICENSE").read_text()


def test_the_public_check_says_valid_or_not_valid_and_nothing_else(system_actor, passed, student):
    certificate = certificate_issue(actor=system_actor, enrollment=passed)
    code = certificate.verification_code
    client = Client()
    page = client.get("/portal/certificate/", {"code": code.lower().replace("-", " ")})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-result="valid"' in html
    for secret in (
        student.first_name,
        student.last_name,
        "Työturvallisuus",
        "TT-1",
        certificate.number,
        "2026",
    ):
        assert secret not in html, secret
    assert (
        'data-result="not-valid"'
        in client.get("/portal/certificate/", {"code": "AAAA-BBBB-CCCC-DDDD"}).content.decode()
    )
    assert page["X-Robots-Tag"] == "noindex, nofollow"


def test_a_revoked_or_erased_certificate_is_not_valid(system_actor, passed, student):
    certificate = certificate_issue(actor=system_actor, enrollment=passed)
    code = certificate.verification_code
    client = Client()
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at="2026-12-01T00:00:00Z")
    assert 'data-result="not-valid"' in client.get("/portal/certificate/", {"code": code}).content.decode()
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at=None)
    person_delete(actor=system_actor, person=student)
    assert not Certificate.objects.exists()
    assert 'data-result="not-valid"' in client.get("/portal/certificate/", {"code": code}).content.decode()


def test_numbers_run_on_after_an_erased_students_certificate(system_actor, instance, passed, student, person):
    first = certificate_issue(actor=system_actor, enrollment=passed)
    other = enrollment_create(actor=system_actor, instance=instance, person=person)
    result_set(
        actor=system_actor, enrollment=other, grade="pass", completed_on=date(2026, 11, 3), passed=True
    )
    second = certificate_issue(actor=system_actor, enrollment=other)
    assert (first.number[-5:], second.number[-5:]) == ("00001", "00002")
    from rekisteri.people.services import person_create

    person_delete(actor=system_actor, person=student)
    third_person = person_create(actor=system_actor, first_name="Kolmas", last_name="Opiskelija")
    third = enrollment_create(actor=system_actor, instance=instance, person=third_person)
    result_set(
        actor=system_actor, enrollment=third, grade="pass", completed_on=date(2026, 11, 3), passed=True
    )
    assert certificate_issue(actor=system_actor, enrollment=third).number[-5:] == "00003"


def test_making_a_pdf_logs_nothing_of_its_text(caplog):
    """fontTools lists the glyphs it subsets at INFO, and fpdf2 the characters its font lacks
    at WARNING: the letters of a student's name."""
    import logging

    from rekisteri.training.pdf import report_pdf

    with caplog.at_level(logging.DEBUG):
        report_pdf(title="Ţ", subtitle="", header=["h"] * 9, rows=[["Łukasz Иванова 王芳"] * 9])
    assert [r for r in caplog.records if r.name.startswith(("fontTools", "fpdf"))] == []
