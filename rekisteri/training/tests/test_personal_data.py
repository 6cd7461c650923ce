"""Student records in the personal-data registry: the access package (what the portal's
verified student downloads) holds their courses, grades and certificates; portability on
the training contract carries them; erasure removes them."""

from __future__ import annotations

import json
from datetime import date

import pytest

from rekisteri.people.services import person_delete
from rekisteri.privacy.registry import entry_for
from rekisteri.privacy.services import basis_set
from rekisteri.rights.fulfilment import access_package, access_package_html, portability_export
from rekisteri.training.models import Certificate, DisclosurePermission, Enrollment, Result, ResultChange
from rekisteri.training.services import certificate_issue, enrollment_create, permission_record, result_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(system_actor, instance, student):
    enrollment = enrollment_create(actor=system_actor, instance=instance, person=student)
    result_set(
        actor=system_actor, enrollment=enrollment, grade="fail", completed_on=date(2026, 11, 2), passed=False
    )
    result_set(
        actor=system_actor,
        enrollment=enrollment,
        grade="pass",
        completed_on=date(2026, 11, 3),
        passed=True,
        reason="Uusintakoe hyväksytty",
    )
    certificate = certificate_issue(actor=system_actor, enrollment=enrollment)
    permission_record(actor=system_actor, person=student, recipient="Lupavirasto")
    return certificate


def _section(package, label):
    return next(section for section in package["data"] if section["model"] == label)


def test_the_access_package_holds_the_student_records(system_actor, student, record):
    package = access_package(actor=system_actor, person_id=student.pk)
    (enrollment,) = _section(package, "training.Enrollment")["rows"]
    assert (enrollment["course_code"], enrollment["status"]) == ("TT-1", "completed")
    (result,) = _section(package, "training.Result")["rows"]
    assert (result["grade"], result["completed_on"], result["passed"]) == ("pass", "2026-11-03", True)
    (change,) = _section(package, "training.ResultChange")["rows"]
    assert change["reason"] == "Uusintakoe hyväksytty"
    (certificate,) = _section(package, "training.Certificate")["rows"]
    assert certificate["number"] == record.number and certificate["valid"] is True
    assert _section(package, "training.DisclosurePermission")["rows"][0]["recipient"] == "Lupavirasto"
    held = {category["code"] for category in package["information"]["categories"]}
    assert "training_records" in held
    html = access_package_html(package, "fi")
    assert "Kurssisuorituksesi" in html and record.number in html


def test_portability_on_the_training_contract_carries_results(system_actor, student, record):
    basis_set(
        actor=system_actor, person=student, purpose="training", basis="contract", justification="Kurssi"
    )
    json_bytes, _csv = portability_export(actor=system_actor, person_id=student.pk)
    data = json.loads(json_bytes)["data"]
    assert data["training.Result"] == [{"grade": "pass", "completed_on": "2026-11-03", "passed": True}]
    assert data["training.Certificate"][0]["number"] == record.number


def test_erasure_removes_the_student_records(system_actor, student, record):
    person_delete(actor=system_actor, person=student)
    for model in (Enrollment, Result, ResultChange, Certificate, DisclosurePermission):
        assert not model.objects.exists(), model


def test_training_records_keep_their_own_retention_period():
    assert entry_for("training.Result").extra["retention_years"] == 5
    assert entry_for("training.Result").purposes == ("training",)
