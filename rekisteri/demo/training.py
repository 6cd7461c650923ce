"""The demo's student register: three courses, four instances taught by the demo trainer
(kouluttaja), their students enrolled under their organizations, most graded, some with
certificates. Through the same services as the staff pages."""

from __future__ import annotations

import random
from datetime import date, timedelta

from rekisteri.audit.actor import Actor
from rekisteri.people.models import Person
from rekisteri.privacy.models import GroupCompany
from rekisteri.training.services import (
    certificate_issue,
    course_create,
    enrollment_create,
    enrollment_status_set,
    instance_create,
    result_set,
)

COURSES = (
    ("TTK-1", "Työturvallisuuskorttikoulutus", "Occupational safety card", "pass_fail", "", False),
    ("EXCEL-2", "Excel jatkokurssi", "Excel, advanced", "0-5", "", False),
    ("TULI-1", "Tulityökorttikoulutus", "Hot work card", "pass_fail", "Suomen Palopäällystöliitto", True),
)


def demo_training(*, actor: Actor, rng: random.Random, trainer_username: str, today: date) -> int:
    """Write the courses, instances, enrollments, grades and certificates; returns enrollments."""
    company = GroupCompany.objects.get(is_controller=True)
    courses = [
        course_create(
            actor=actor,
            code=code,
            name_fi=name_fi,
            name_en=name_en,
            company=company,
            grading_scale=scale,
            license_body=body,
            license_requires_birth_date=needs_birth_date,
        )
        for code, name_fi, name_en, scale, body, needs_birth_date in COURSES
    ]
    students = list(Person.objects.filter(categories__category="student").select_related("organization"))
    rng.shuffle(students)
    plans = [
        (courses[0], -60, True),
        (courses[1], -30, True),
        (courses[2], -10, True),
        (courses[0], 20, False),
    ]
    count = 0
    for number, (course, offset, past) in enumerate(plans):
        starts = today + timedelta(days=offset)
        instance = instance_create(
            actor=actor,
            course=course,
            starts_on=starts,
            ends_on=starts + timedelta(days=1),
            trainers=[trainer_username],
            place=rng.choice(["Helsinki", "Tampere", "Oulu", "Turku"]) if number != 1 else "",
            online=number == 1,
            capacity=20,
        )
        for person in students[number * 8 : number * 8 + 8]:
            enrollment = enrollment_create(
                actor=actor, instance=instance, person=person, organization=person.organization
            )
            count += 1
            if not past:
                continue
            enrollment_status_set(actor=actor, enrollment=enrollment, status="attended")
            passed = rng.random() < 0.85
            if course.grading_scale == "0-5":
                grade = str(rng.randint(1, 5)) if passed else "0"
            else:
                grade = "pass" if passed else "fail"
            result_set(
                actor=actor,
                enrollment=enrollment,
                grade=grade,
                completed_on=instance.ends_on,
                passed=passed,
            )
            if passed and rng.random() < 0.6:
                certificate_issue(actor=actor, enrollment=enrollment)
    return count
