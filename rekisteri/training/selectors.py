"""Reads of the student register. Who sees what (section 11): a trainer sees only the
instances they teach and their participants; sales and CRM see enrollment status but no
grades; the privacy officer sees everything. Reads of persons write their audit events."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from rekisteri.accounts.models import Role
from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.people.selectors import visible_persons
from rekisteri.training.models import Certificate, CourseInstance, Enrollment, Result

VIEW_RESULT = "training.view_result"


def _role(user) -> str:
    profile = getattr(user, "staff_profile", None)
    return profile.role if profile is not None else ""


def only_own_instances(user) -> bool:
    """Trainers work on the instances they teach and nothing else (section 11)."""
    return _role(user) == Role.TRAINER


def sees_grades(user) -> bool:
    return user.has_perm(VIEW_RESULT)


def instances_visible(user) -> QuerySet[CourseInstance]:
    instances = CourseInstance.objects.select_related("course")
    if only_own_instances(user):
        return instances.filter(trainers=user)
    return instances


def enrollments_visible(user) -> QuerySet[Enrollment]:
    enrollments = Enrollment.objects.select_related("instance__course", "organization")
    if only_own_instances(user):
        return enrollments.filter(instance__trainers=user)
    return enrollments


def instance_for(user, instance_id: int) -> CourseInstance | None:
    return instances_visible(user).filter(pk=instance_id).first()


def enrollment_for(user, enrollment_id: UUID | str) -> Enrollment | None:
    return enrollments_visible(user).filter(pk=enrollment_id).first()


@dataclass
class Participant:
    enrollment: Enrollment
    name: str
    # None when the reader's role may not see grades.
    result: Result | None
    certificate: Certificate | None


def instance_participants(*, actor: Actor, instance: CourseInstance) -> list[Participant]:
    """The participants of an instance, names decrypted, grades only for roles that see them.

    One audit event names every person shown.
    """
    enrollments = instance.enrollments.select_related("person", "organization", "result", "certificate")
    if actor.user is not None:
        # Art. 18: a restricted participant is left out for every role but the privacy
        # officer, as from every other list (visible_persons leaves them out).
        enrollments = enrollments.filter(person__in=visible_persons(actor))
    enrollments = list(enrollments.order_by("enrolled_at"))
    grades = actor.user is None or sees_grades(actor.user)
    participants = [
        Participant(
            enrollment=enrollment,
            name=enrollment.person.full_name,
            result=getattr(enrollment, "result", None) if grades else None,
            certificate=getattr(enrollment, "certificate", None) if grades else None,
        )
        for enrollment in enrollments
    ]
    participants.sort(key=lambda p: (p.enrollment.person.last_name.casefold(), p.name.casefold()))
    if enrollments:
        audit_record(
            actor=actor,
            action="list",
            object_type="enrollment",
            object_ids=[enrollment.pk for enrollment in enrollments],
            person_ids=[enrollment.person_id for enrollment in enrollments],
            detail={"instance": instance.pk, "grades": grades},
        )
    return participants


def birth_date_required_by_course(person: Any) -> str:
    """Section 4: the course and license body that require the person's birth date, or ""."""
    enrollment = (
        Enrollment.objects.filter(person_id=person.pk, instance__course__license_requires_birth_date=True)
        .exclude(status="cancelled")
        .select_related("instance__course")
        .first()
    )
    if enrollment is None:
        return ""
    course = enrollment.instance.course
    return f"{course.code}: {course.license_body}"


def code_hash(code: str) -> str:
    """The stored form of a verification code: a hash (the code has 80 random bits)."""
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def certificate_is_valid(code: str) -> bool:
    """The public check: valid or not, nothing else. An erased student's certificate is gone,
    so it answers not valid."""
    if not code or len(code) > 64:
        return False
    certificate = Certificate.objects.filter(code_hash=code_hash(code)).only("revoked_at").first()
    return certificate is not None and certificate.is_valid


def trainer_student_scope(user) -> tuple[QuerySet, QuerySet]:
    """(persons enrolled in an instance `user` teaches, persons enrolled anywhere), as
    person-id subqueries for people.visibility.students."""
    return (
        Enrollment.objects.filter(instance__trainers=user).values("person_id"),
        Enrollment.objects.values("person_id"),
    )
