"""Fixtures of the student register: a course, an instance taught by the cast's trainer, a
second trainer with an instance of their own, and API clients."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import make_staff
from rekisteri.accounts.models import Role
from rekisteri.api.tests.conftest import anonymous, api_as, raw_token  # noqa: F401 (fixtures)
from rekisteri.privacy.models import GroupCompany
from rekisteri.training.services import course_create, instance_create


@pytest.fixture
def company(db):
    return GroupCompany.objects.get(is_controller=True)


@pytest.fixture
def course(system_actor, company):
    return course_create(
        actor=system_actor, code="TT-1", name_fi="Työturvallisuus", name_en="Work safety", company=company
    )


@pytest.fixture
def graded_course(system_actor, company):
    return course_create(
        actor=system_actor,
        code="EX-5",
        name_fi="Excel",
        name_en="Excel",
        company=company,
        grading_scale="0-5",
    )


@pytest.fixture
def instance(system_actor, cast, course):
    return instance_create(
        actor=system_actor,
        course=course,
        starts_on=date(2026, 11, 2),
        ends_on=date(2026, 11, 3),
        trainers=[cast.trainer.username],
        place="Tampere",
    )


@pytest.fixture
def other_trainer(cast):
    return make_staff("toni.trainer", Role.TRAINER, date(2024, 1, 15))


@pytest.fixture
def other_instance(system_actor, other_trainer, course):
    return instance_create(
        actor=system_actor,
        course=course,
        starts_on=date(2026, 10, 5),
        ends_on=date(2026, 10, 5),
        trainers=[other_trainer.username],
        online=True,
    )
