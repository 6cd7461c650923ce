"""Section 11 in the student register: trainers see their own instances' participants and
results only; sales and CRM see enrollment status but no grades; the privacy officer sees all."""

from __future__ import annotations

from datetime import date

import pytest

from rekisteri.api.tests.conftest import assert_error
from rekisteri.people.selectors import visible_persons
from rekisteri.people.services import person_create
from rekisteri.training.services import enrollment_create, result_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(system_actor, instance, student):
    enrollment = enrollment_create(actor=system_actor, instance=instance, person=student)
    result_set(
        actor=system_actor, enrollment=enrollment, grade="pass", completed_on=date(2026, 11, 3), passed=True
    )
    return enrollment


@pytest.mark.parametrize(
    ("role", "status", "grades"),
    [
        ("trainer", 200, True),
        ("privacy_officer", 200, True),
        ("sales", 200, False),
        ("crm", 200, False),
        ("admin", 200, False),
        ("marketing", 403, None),
    ],
)
def test_who_sees_an_instances_participants_and_grades(api_as, cast, instance, graded, role, status, grades):
    response = api_as(getattr(cast, role)).get(f"/course-instances/{instance.pk}")
    assert response.status_code == status
    if status != 200:
        return
    body = response.json()
    assert body["grades_shown"] is grades
    (participant,) = body["participants"]
    assert participant["status"] == "completed"  # every role that follows enrollments sees status
    if grades:
        assert participant["result"] == {"grade": "pass", "completed_on": "2026-11-03", "passed": True}
    else:
        assert participant["result"] is None
        assert b'"pass"' not in response.content


def test_another_trainer_sees_neither_the_instance_nor_its_participants(
    api_as, other_trainer, instance, graded, student
):
    api = api_as(other_trainer)
    assert_error(api.get(f"/course-instances/{instance.pk}"), 404)
    assert_error(api.get(f"/persons/{student.pk}"), 404)
    assert student not in visible_persons(other_trainer)


def test_a_trainer_sees_own_participants_and_students_awaiting_enrollment(
    system_actor, cast, other_instance, student
):
    waiting = person_create(
        actor=system_actor, first_name="Uusi", last_name="Opiskelija", categories=["student"]
    )
    assert {student, waiting} <= set(visible_persons(cast.trainer))
    enrollment_create(actor=system_actor, instance=other_instance, person=student)
    visible = set(visible_persons(cast.trainer))
    assert waiting in visible and student not in visible


@pytest.mark.parametrize("role", ["trainer", "sales", "crm", "admin", "privacy_officer"])
def test_a_restricted_participant_is_left_out_for_every_role_but_the_privacy_officer(
    api_as, cast, instance, graded, student, role
):
    from django.test import Client
    from django.utils import timezone

    from rekisteri.people.models import Person

    Person.objects.filter(pk=student.pk).update(restricted_at=timezone.now())
    participants = api_as(getattr(cast, role)).get(f"/course-instances/{instance.pk}").json()["participants"]
    client = Client()
    client.force_login(getattr(cast, role), backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/training/instances/{instance.pk}/").content.decode()
    if role == "privacy_officer":
        assert len(participants) == 1 and "Oona" in page
    else:
        assert participants == [] and "Oona" not in page
