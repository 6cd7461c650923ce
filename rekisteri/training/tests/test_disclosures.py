"""Section 6: a report holds exactly its organization's people and is logged per person;
any other recipient is refused without the student's recorded permission; the log is
readable per person (GET /persons/{id}/disclosures) and feeds Art. 19."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from rekisteri.api.tests.conftest import assert_error
from rekisteri.audit.models import AuditEvent
from rekisteri.organizations.services import organization_create
from rekisteri.people.services import person_create
from rekisteri.privacy.disclosure import disclosure_recipients
from rekisteri.privacy.models import Disclosure
from rekisteri.training.services import enrollment_create, permission_record, result_set
from rekisteri.training.tests.pdftext import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_organizations(system_actor, instance, other_instance, organization):
    """Two people under `organization` (one in another trainer's instance), one under another."""
    other_org = organization_create(actor=system_actor, name="Muu Oy", business_id="0245974-7", city="Turku")
    ours = [
        person_create(
            actor=system_actor, first_name="Aino", last_name="Meikäläinen", organization=organization
        ),
        person_create(actor=system_actor, first_name="Pekka", last_name="=Kaava", organization=organization),
    ]
    theirs = person_create(
        actor=system_actor, first_name="Olli", last_name="Muukalainen", organization=other_org
    )
    first = enrollment_create(
        actor=system_actor, instance=instance, person=ours[0], organization=organization
    )
    result_set(
        actor=system_actor, enrollment=first, grade="pass", completed_on=date(2026, 11, 3), passed=True
    )
    enrollment_create(actor=system_actor, instance=other_instance, person=ours[1], organization=organization)
    enrollment_create(actor=system_actor, instance=instance, person=theirs, organization=other_org)
    return organization, other_org, ours, theirs


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_a_report_holds_exactly_its_organizations_people_and_logs_each(api_as, cast, two_organizations):
    organization, _, ours, theirs = two_organizations
    response = api_as(cast.privacy_officer).get(
        f"/organizations/{organization.pk}/training-report", format="csv"
    )
    assert response.status_code == 200, response.content
    rows = _csv_rows(response.content)[1:]
    assert sorted(row[0] for row in rows) == ["'=Kaava Pekka", "Meikäläinen Aino"]
    assert "Muukalainen" not in response.content.decode("utf-8-sig")
    graded = next(row for row in rows if row[0] == "Meikäläinen Aino")
    assert graded[6:8] == ["pass", "2026-11-03"]
    disclosed = Disclosure.objects.filter(basis="customer_organization")
    assert sorted(str(d.person_id) for d in disclosed) == sorted(str(p.pk) for p in ours)
    assert {d.recipient for d in disclosed} == {"Tampereen Testi Oy (2077474-0)"}
    assert {d.purpose for d in disclosed} == {"training"}
    assert all(d.disclosed_by == cast.privacy_officer for d in disclosed)
    assert not Disclosure.objects.filter(person=theirs).exists()
    event = AuditEvent.objects.get(action="disclose", origin="api")
    assert sorted(json.loads(event.person_ids)) == sorted(str(p.pk) for p in ours)
    # Art. 19: a rectification or erasure of the student names the organization.
    assert [r["recipient"] for r in disclosure_recipients(ours[0].pk)] == ["Tampereen Testi Oy (2077474-0)"]


def test_a_trainers_report_holds_only_their_own_instances(api_as, cast, two_organizations):
    organization, _, ours, _ = two_organizations
    response = api_as(cast.trainer).get(f"/organizations/{organization.pk}/training-report", format="json")
    assert response.status_code == 200
    enrollments = response.json()["enrollments"]
    assert [row["person_id"] for row in enrollments] == [str(ours[0].pk)]
    assert list(Disclosure.objects.values_list("person_id", flat=True)) == [ours[0].pk]


def test_the_pdf_report_renders(api_as, cast, two_organizations):
    organization = two_organizations[0]
    response = api_as(cast.privacy_officer).get(
        f"/organizations/{organization.pk}/training-report", format="pdf"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_the_pdf_report_prints_names_outside_latin_1(api_as, cast, system_actor, instance, organization):
    for first_name, last_name in (("Łukasz", "Ţepeş"), ("Ödön", "Őrsi"), ("Наталья", "Иванова")):
        person = person_create(
            actor=system_actor, first_name=first_name, last_name=last_name, organization=organization
        )
        enrollment_create(actor=system_actor, instance=instance, person=person, organization=organization)
    response = api_as(cast.privacy_officer).get(
        f"/organizations/{organization.pk}/training-report", format="pdf"
    )
    assert response.status_code == 200
    lines = pdf_text(response.content).splitlines()
    assert {"Ţepeş Łukasz", "Őrsi Ödön", "Иванова Наталья"} <= set(lines)
    assert "Työturvallisuus" in lines


def test_csv_cells_cannot_run_formulas(api_as, cast, two_organizations):
    organization = two_organizations[0]
    response = api_as(cast.privacy_officer).get(
        f"/organizations/{organization.pk}/training-report", format="csv"
    )
    assert _csv_rows(response.content)[1][0] == "'=Kaava Pekka"  # a leading apostrophe: text


def test_sales_cannot_take_a_report_and_an_unknown_organization_is_404(api_as, cast, two_organizations):
    organization = two_organizations[0]
    assert_error(api_as(cast.sales).get(f"/organizations/{organization.pk}/training-report"), 403)
    assert_error(api_as(cast.privacy_officer).get("/organizations/999999/training-report"), 404)
    assert not Disclosure.objects.exists()


def test_a_disclosure_to_another_recipient_needs_the_students_permission(
    api_as, cast, system_actor, two_organizations
):
    student = two_organizations[2][0]
    api = api_as(cast.privacy_officer)
    body = assert_error(
        api.post(f"/persons/{student.pk}/training-disclosures", {"recipient": "Uusi Työnantaja Oy"}),
        422,
        field="recipient",
        code="rule_violation",
    )
    assert "permission" in body["detail"]
    assert not Disclosure.objects.exists()

    response = api.post(f"/persons/{student.pk}/disclosure-permissions", {"recipient": "Uusi Työnantaja Oy"})
    assert response.status_code == 201, response.content
    response = api.post(f"/persons/{student.pk}/training-disclosures", {"recipient": "uusi työnantaja oy"})
    assert response.status_code == 200, response.content
    assert [row["course_code"] for row in response.json()["enrollments"]] == ["TT-1"]
    disclosure = Disclosure.objects.get()
    assert (disclosure.basis, disclosure.recipient_name) == ("data_subject_permission", "uusi työnantaja oy")
    # A permission for one recipient is no permission for another.
    assert_error(api.post(f"/persons/{student.pk}/training-disclosures", {"recipient": "Kolmas Oy"}), 422)


def test_the_disclosure_log_of_a_person(api_as, cast, system_actor, two_organizations):
    organization, _, ours, _ = two_organizations
    api = api_as(cast.privacy_officer)
    api.get(f"/organizations/{organization.pk}/training-report", format="csv")
    permission_record(actor=system_actor, person=ours[0], recipient="Lupavirasto")
    api.post(f"/persons/{ours[0].pk}/training-disclosures", {"recipient": "Lupavirasto"})
    response = api.get(f"/persons/{ours[0].pk}/disclosures")
    assert response.status_code == 200
    log = response.json()
    assert [(row["recipient"], row["basis"]) for row in log] == [
        ("Lupavirasto", "data_subject_permission"),
        ("Tampereen Testi Oy (2077474-0)", "customer_organization"),
    ]
    assert all(row["disclosed_by"] == cast.privacy_officer.username for row in log)
    assert all(row["categories"] == ["name", "training_records"] for row in log)
    assert AuditEvent.objects.filter(action="view", object_type="disclosure").exists()
    assert_error(api_as(cast.sales).get(f"/persons/{ours[0].pk}/disclosures"), 403)


def test_completions_go_to_the_license_body_as_a_processor_and_are_logged(
    api_as, cast, system_actor, company, student
):
    from rekisteri.people.services import person_birth_date_set
    from rekisteri.training.services import course_create, instance_create

    course = course_create(
        actor=system_actor,
        code="TUL-1",
        name_fi="Tulityö",
        name_en="Hot work",
        company=company,
        license_body="Palolupa ry",
        license_requires_birth_date=True,
    )
    instance = instance_create(
        actor=system_actor,
        course=course,
        starts_on=date(2026, 11, 2),
        ends_on=date(2026, 11, 2),
        trainers=[cast.trainer.username],
        online=True,
    )
    enrollment = enrollment_create(actor=system_actor, instance=instance, person=student)
    result_set(
        actor=system_actor, enrollment=enrollment, grade="pass", completed_on=date(2026, 11, 2), passed=True
    )
    person_birth_date_set(actor=system_actor, person=student, birth_date=date(1990, 5, 17))
    response = api_as(cast.trainer).get(f"/course-instances/{instance.pk}/license-export")
    assert response.status_code == 200, response.content
    (row,) = _csv_rows(response.content)[1:]
    assert row[:3] == ["Kurssila Oona", "1990-05-17", "TUL-1"]
    disclosure = Disclosure.objects.get()
    assert (disclosure.recipient_name, disclosure.basis) == ("Palolupa ry", "processor")
    # Section 6: the license body is linked to the register's training-license processor.
    assert disclosure.recipient_record.name == "Koulutuslupien palveluntarjoaja"
    assert "birth_date" in disclosure.categories


def test_a_course_without_a_license_has_no_license_export(api_as, cast, instance):
    assert_error(api_as(cast.trainer).get(f"/course-instances/{instance.pk}/license-export"), 422)


def test_a_permission_dated_before_1900_is_a_rule_violation(api_as, cast, student):
    response = api_as(cast.privacy_officer).post(
        f"/persons/{student.pk}/disclosure-permissions",
        {"recipient": "Lupavirasto", "granted_on": "0674-01-15"},
    )
    assert_error(response, 422, field="granted_on", code="rule_violation")
