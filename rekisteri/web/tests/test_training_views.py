"""The student register's staff pages: a trainer enrolls, marks attendance, grades (a change
needs a reason) and issues a certificate; sales sees status without grades; another trainer
gets 404; the pages speak Finnish and English."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from conftest import make_staff
from rekisteri.accounts.models import Role
from rekisteri.privacy.models import Disclosure, GroupCompany
from rekisteri.training.models import Certificate, Enrollment, Result
from rekisteri.training.services import course_create, enrollment_create, instance_create, result_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def instance(system_actor, cast):
    course = course_create(
        actor=system_actor,
        code="TT-1",
        name_fi="Työturvallisuus",
        name_en="Work safety",
        company=GroupCompany.objects.get(is_controller=True),
    )
    return instance_create(
        actor=system_actor,
        course=course,
        starts_on=date(2026, 11, 2),
        ends_on=date(2026, 11, 3),
        trainers=[cast.trainer.username],
        place="Tampere",
    )


def test_a_trainer_runs_an_instance_from_enrollment_to_certificate(
    login, cast, instance, student, organization
):
    client = login(cast.trainer)
    page = client.get(f"/training/instances/{instance.pk}/")
    assert page.status_code == 200
    assert "Oona Kurssila" in page.content.decode()  # offered in the enroll form
    response = client.post(
        f"/training/instances/{instance.pk}/enroll/",
        {"person": str(student.pk), "organization": organization.pk},
    )
    assert response.status_code == 302
    enrollment = Enrollment.objects.get()
    assert enrollment.organization == organization
    client.post(f"/training/enrollments/{enrollment.pk}/status/", {"status": "attended"})
    assert Enrollment.objects.get().status == "attended"
    prefix = str(enrollment.pk)
    client.post(
        f"/training/enrollments/{enrollment.pk}/result/",
        {f"{prefix}-grade": "pass", f"{prefix}-completed_on": "2026-11-03", f"{prefix}-passed": "on"},
    )
    assert Result.objects.get().grade == "pass"
    # A change without a reason is refused and said so.
    page = client.post(
        f"/training/enrollments/{enrollment.pk}/result/",
        {f"{prefix}-grade": "fail", f"{prefix}-completed_on": "2026-11-03"},
        follow=True,
    )
    assert Result.objects.get().grade == "pass"
    assert "reason" in page.content.decode() or "syy" in page.content.decode()
    client.post(f"/training/enrollments/{enrollment.pk}/certificate/")
    certificate = Certificate.objects.get()
    page = client.get(f"/training/instances/{instance.pk}/")
    assert certificate.number in page.content.decode()
    pdf = client.get(f"/training/enrollments/{enrollment.pk}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_sales_sees_status_without_grades(login, cast, system_actor, instance, student):
    enrollment = enrollment_create(actor=system_actor, instance=instance, person=student)
    result_set(
        actor=system_actor, enrollment=enrollment, grade="pass", completed_on=date(2026, 11, 3), passed=True
    )
    html = login(cast.sales).get(f"/training/instances/{instance.pk}/").content.decode()
    assert "Oona Kurssila" in html and 'data-status="completed"' in html
    assert "data-grade" not in html and "Arvosana" not in html


def test_another_trainer_gets_404(login, cast, instance):
    other = make_staff("toni.trainer", Role.TRAINER, date(2024, 1, 15))
    assert login(other).get(f"/training/instances/{instance.pk}/").status_code == 404
    assert login(other).get("/training/").content.decode().count("TT-1 ") == 0


def test_the_report_page_downloads_a_logged_report(
    login, cast, system_actor, instance, student, organization
):
    enrollment_create(actor=system_actor, instance=instance, person=student, organization=organization)
    response = login(cast.trainer).get(
        "/training/report/", {"organization": organization.pk, "format": "csv"}
    )
    assert response.status_code == 200 and "Kurssila Oona" in response.content.decode("utf-8-sig")
    assert Disclosure.objects.get().person == student


@pytest.mark.parametrize(("language", "heading"), [("fi", "Osallistujat"), ("en", "Participants")])
def test_the_pages_speak_finnish_and_english(login, cast, instance, language, heading):
    client = login(cast.trainer)
    client.cookies["django_language"] = language
    with translation.override(language):
        html = client.get(
            f"/training/instances/{instance.pk}/", HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
    assert heading in html
