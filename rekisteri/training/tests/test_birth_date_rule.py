"""Section 4: a birth date only where it tells students apart, with its reason stored;
otherwise PATCH /persons/{id} refuses it (400, rule_violation, the rule in the message)."""

from __future__ import annotations

from datetime import date

import pytest

from rekisteri.api.tests.conftest import assert_error
from rekisteri.people.models import Person
from rekisteri.people.services import person_create
from rekisteri.training.services import course_create, enrollment_create, instance_create

pytestmark = pytest.mark.django_db


def test_a_birth_date_nothing_needs_is_refused_with_the_rule(api_as, cast, student):
    response = api_as(cast.sales).patch(f"/persons/{student.pk}", {"birth_date": "1990-05-17"})
    body = assert_error(response, 400, field="birth_date", code="rule_violation")
    assert "same name" in body["detail"] and "license body" in body["detail"]
    student.refresh_from_db()
    assert student.birth_date == "" and student.birth_date_reason == ""


def test_a_namesake_in_the_register_allows_it_and_the_reason_is_stored(api_as, cast, system_actor, student):
    person_create(actor=system_actor, first_name="oona", last_name="KURSSILA")
    response = api_as(cast.sales).patch(f"/persons/{student.pk}", {"birth_date": "1990-05-17"})
    assert response.status_code == 200, response.content
    student = Person.objects.get(pk=student.pk)
    assert (student.birth_date, student.birth_date_reason) == ("1990-05-17", "same_name")
    raw = Person.objects.filter(pk=student.pk).values_list("birth_date", flat=True).get()
    assert b"1990" not in bytes(raw)  # encrypted like every personal value


def test_a_similar_name_is_no_namesake(api_as, cast, system_actor, student):
    person_create(actor=system_actor, first_name="Oona", last_name="Kurssilainen")
    response = api_as(cast.sales).patch(f"/persons/{student.pk}", {"birth_date": "1990-05-17"})
    assert_error(response, 400, code="rule_violation")


def test_a_license_body_that_requires_it_allows_it(api_as, cast, system_actor, company, student):
    course = course_create(
        actor=system_actor,
        code="TUL-1",
        name_fi="Tulityö",
        name_en="Hot work",
        company=company,
        license_body="Suomen Palopäällystöliitto",
        license_requires_birth_date=True,
    )
    instance = instance_create(
        actor=system_actor, course=course, starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 1), online=True
    )
    enrollment_create(actor=system_actor, instance=instance, person=student)
    response = api_as(cast.sales).patch(f"/persons/{student.pk}", {"birth_date": "1990-05-17"})
    assert response.status_code == 200, response.content
    student = Person.objects.get(pk=student.pk)
    assert student.birth_date_reason == "license_body"
    assert student.birth_date_reason_detail == "TUL-1: Suomen Palopäällystöliitto"


def test_null_clears_it_and_other_fields_change_with_it(api_as, cast, system_actor, student):
    person_create(actor=system_actor, first_name="Oona", last_name="Kurssila")
    api = api_as(cast.sales)
    assert (
        api.patch(f"/persons/{student.pk}", {"birth_date": "1990-05-17", "title": "Opettaja"}).status_code
        == 200
    )
    response = api.patch(f"/persons/{student.pk}", {"birth_date": None})
    assert response.status_code == 200
    student = Person.objects.get(pk=student.pk)
    assert (student.birth_date, student.birth_date_reason, student.title) == ("", "", "Opettaja")


def test_a_refused_birth_date_changes_nothing_else_in_the_same_request(api_as, cast, student):
    response = api_as(cast.sales).patch(
        f"/persons/{student.pk}", {"birth_date": "1990-05-17", "title": "Johtaja"}
    )
    assert_error(response, 400)
    student.refresh_from_db()
    assert student.title == "Asiantuntija"


def test_the_access_package_holds_the_birth_date_and_its_reason(system_actor, student):
    from rekisteri.people.services import person_birth_date_set
    from rekisteri.privacy.registry import entry_for

    person_create(actor=system_actor, first_name="Oona", last_name="Kurssila")
    person_birth_date_set(actor=system_actor, person=student, birth_date=date(1990, 5, 17))
    exported = entry_for("people.Person").export(Person.objects.get(pk=student.pk))
    assert exported["birth_date"] == "1990-05-17" and exported["birth_date_reason"] == "same_name"
