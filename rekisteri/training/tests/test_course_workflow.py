"""A trainer runs a course: instance, enrollment, attendance, grading (changes only with a
reason, audited) and a certificate, through the services and the API."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from rekisteri.api.tests.conftest import assert_error
from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.errors import codes
from rekisteri.people.models import PersonCategory
from rekisteri.training.models import Enrollment, Result, ResultChange
from rekisteri.training.services import enrollment_create, result_set

pytestmark = pytest.mark.django_db


def test_courses_and_instances_are_created_through_the_api(api_as, cast, company):
    api = api_as(cast.trainer)
    response = api.post(
        "/courses", {"code": "ea-1", "name_fi": "Ensiapu 1", "name_en": "First aid 1", "company": company.pk}
    )
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "EA-1"
    response = api.post(
        "/course-instances",
        {
            "course": "EA-1",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-02",
            "trainers": ["tiina.trainer"],
            "place": "Oulu",
            "capacity": 12,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["trainers"] == ["tiina.trainer"]


def test_an_instance_names_only_active_trainers_and_ends_after_it_starts(api_as, cast, course):
    api = api_as(cast.trainer)
    body = {
        "course": course.code,
        "starts_on": "2026-12-02",
        "ends_on": "2026-12-01",
        "trainers": ["sanna.sales"],
    }
    error = assert_error(api.post("/course-instances", {**body, "place": "Oulu"}), 422, code="rule_violation")
    fields = {item["field"] for item in error["errors"]}
    assert {"ends_on", "trainers"} <= fields


def test_a_trainer_grades_and_a_grade_changes_only_with_a_reason(api_as, cast, instance, student):
    api = api_as(cast.trainer)
    response = api.post(
        "/enrollments",
        {
            "instance_id": instance.pk,
            "person_id": str(student.pk),
            "organization_id": student.organization_id,
        },
    )
    assert response.status_code == 201, response.content
    enrollment_id = response.json()["id"]
    assert (
        api.post(f"/enrollments/{enrollment_id}/status", {"status": "attended"}).json()["status"]
        == "attended"
    )

    response = api.post(
        f"/enrollments/{enrollment_id}/result",
        {"grade": "pass", "completed_on": "2026-11-03", "passed": True},
    )
    assert response.status_code == 200, response.content
    assert Enrollment.objects.get(pk=enrollment_id).status == "completed"

    changed = {"grade": "fail", "completed_on": "2026-11-03", "passed": False}
    error = assert_error(api.post(f"/enrollments/{enrollment_id}/result", changed), 422, field="reason")
    assert "reason" in error["detail"]
    response = api.post(
        f"/enrollments/{enrollment_id}/result", {**changed, "reason": "Koe tarkastettiin uudelleen"}
    )
    assert response.status_code == 200
    result = Result.objects.get(enrollment_id=enrollment_id)
    assert (result.grade, result.passed) == ("fail", False)
    change = ResultChange.objects.get(result=result)
    assert change.reason == "Koe tarkastettiin uudelleen"
    assert json.loads(change.before)["grade"] == "pass"
    event = AuditEvent.objects.filter(object_type="result", action="change").get()
    assert json.loads(event.detail)["with_reason"] is True
    assert str(student.pk) in event.person_ids
    assert Enrollment.objects.get(pk=enrollment_id).status == "failed"


def test_a_grade_is_on_the_course_scale(system_actor, cast, graded_course, student):
    from rekisteri.training.services import instance_create

    instance = instance_create(
        actor=system_actor,
        course=graded_course,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 1, 1),
        trainers=[cast.trainer.username],
        online=True,
    )
    enrollment = enrollment_create(actor=system_actor, instance=instance, person=student)
    with pytest.raises(ValidationError) as exc:
        result_set(
            actor=system_actor,
            enrollment=enrollment,
            grade="pass",
            completed_on=date(2026, 1, 1),
            passed=True,
        )
    assert "grade" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        result_set(
            actor=system_actor, enrollment=enrollment, grade="0", completed_on=date(2026, 1, 1), passed=True
        )
    assert "passed" in exc.value.message_dict
    result = result_set(
        actor=system_actor, enrollment=enrollment, grade="4", completed_on=date(2026, 1, 1), passed=True
    )
    assert result.grade == "4"


def test_grades_and_completion_dates_are_stored_encrypted(system_actor, instance, student):
    enrollment = enrollment_create(actor=system_actor, instance=instance, person=student)
    result_set(
        actor=system_actor, enrollment=enrollment, grade="pass", completed_on=date(2026, 11, 3), passed=True
    )
    raw = Result.objects.values_list("grade", "completed_on").get()
    assert all(b"pass" not in bytes(value) and b"2026" not in bytes(value) for value in raw)


def test_enrolling_makes_a_person_a_student_and_respects_capacity(system_actor, cast, course, person):
    from rekisteri.people.services import person_create
    from rekisteri.training.services import instance_create

    small = instance_create(
        actor=system_actor,
        course=course,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 1, 1),
        trainers=[cast.trainer.username],
        online=True,
        capacity=1,
    )
    enrollment_create(actor=system_actor, instance=small, person=person)
    assert person.categories.filter(category=PersonCategory.Category.STUDENT).exists()
    other = person_create(actor=system_actor, first_name="Toinen", last_name="Henkilö")
    with pytest.raises(ValidationError) as exc:
        enrollment_create(actor=system_actor, instance=small, person=other)
    assert codes(exc.value) == {"instance": ["enrollment.full"]}
    with pytest.raises(ValidationError):
        enrollment_create(actor=system_actor, instance=small, person=person)


def test_a_trainer_cannot_touch_another_trainers_instance(api_as, cast, other_instance, student):
    api = api_as(cast.trainer)
    response = api.post("/enrollments", {"instance_id": other_instance.pk, "person_id": str(student.pk)})
    assert_error(response, 422, field="instance_id")
    enrollment = enrollment_create(
        actor=Actor.system("test", origin="cli"), instance=other_instance, person=student
    )
    assert_error(
        api.post(
            f"/enrollments/{enrollment.pk}/result",
            {"grade": "pass", "completed_on": "2026-10-05", "passed": True},
        ),
        404,
    )
    assert_error(api.get(f"/course-instances/{other_instance.pk}"), 404)
    assert not Result.objects.exists()
