"""A trainer sets a participant's birth date in the staff pages; section 4's rule (a namesake
in the register, or a license body that requires it) is checked by the service and its
refusal is the form's error."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import make_staff
from rekisteri.accounts.models import Role
from rekisteri.audit.models import AuditEvent
from rekisteri.people.models import Person
from rekisteri.people.services import person_create
from rekisteri.privacy.models import GroupCompany
from rekisteri.training.services import course_create, enrollment_create, instance_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrollment(system_actor, cast, student):
    course = course_create(
        actor=system_actor,
        code="TT-1",
        name_fi="Työturvallisuus",
        name_en="Work safety",
        company=GroupCompany.objects.get(is_controller=True),
    )
    instance = instance_create(
        actor=system_actor,
        course=course,
        starts_on=date(2026, 11, 2),
        ends_on=date(2026, 11, 3),
        trainers=[cast.trainer.username],
        place="Tampere",
    )
    return enrollment_create(actor=system_actor, instance=instance, person=student)


def _url(enrollment) -> str:
    return f"/training/enrollments/{enrollment.pk}/birth-date/"


def test_a_birth_date_nothing_needs_is_a_form_error_and_is_not_stored(login, cast, student, enrollment):
    client = login(cast.trainer)
    client.cookies["django_language"] = "en"
    assert _url(enrollment) in client.get(f"/training/instances/{enrollment.instance_id}/").content.decode()

    response = client.post(_url(enrollment), {"birth_date": "1990-05-17"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert "neither applies to this person" in html and "section 4" in html
    assert Person.objects.get(pk=student.pk).birth_date == ""


def test_with_a_namesake_the_trainer_stores_it_with_the_reason(
    login, cast, system_actor, student, enrollment
):
    person_create(actor=system_actor, first_name="Oona", last_name="Kurssila", allow_duplicate=True)
    client = login(cast.trainer)

    response = client.post(_url(enrollment), {"birth_date": "1990-05-17"})

    assert response.status_code == 302
    stored = Person.objects.get(pk=student.pk)
    assert (stored.birth_date, stored.birth_date_reason) == ("1990-05-17", "same_name")
    page = client.get(_url(enrollment)).content.decode()
    assert 'value="1990-05-17"' in page
    assert AuditEvent.objects.filter(
        action="view", object_type="person", detail__contains="training_birth_date"
    )
    # Emptied, it is removed.
    assert client.post(_url(enrollment), {"birth_date": ""}).status_code == 302
    assert Person.objects.get(pk=student.pk).birth_date == ""


def test_a_date_out_of_range_is_a_form_error(login, cast, system_actor, student, enrollment):
    person_create(actor=system_actor, first_name="Oona", last_name="Kurssila", allow_duplicate=True)
    client = login(cast.trainer)
    client.cookies["django_language"] = "en"
    response = client.post(_url(enrollment), {"birth_date": "1800-01-01"})
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    assert Person.objects.get(pk=student.pk).birth_date == ""


def test_only_the_instances_trainer_reaches_it(login, cast, enrollment):
    other = make_staff("toni.trainer", Role.TRAINER, date(2024, 1, 15))
    assert login(other).get(_url(enrollment)).status_code == 404
    assert login(cast.sales).get(_url(enrollment)).status_code == 403
