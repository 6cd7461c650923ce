"""Writes of the student register: courses, instances, enrollments, results, certificates.

Every function takes the acting `Actor`, checks the rules, writes in one transaction and
appends its audit event there. A trainer acts only on the instances they teach (section 11).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.accounts.models import Role
from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.errors import ServiceError, choose_one, required, too_long
from rekisteri.organizations.models import Organization
from rekisteri.people.models import Person, PersonCategory
from rekisteri.people.restriction import restriction_check
from rekisteri.privacy.models import GroupCompany
from rekisteri.training.models import (
    FAILING_GRADES,
    SCALE_GRADES,
    Certificate,
    Course,
    CourseInstance,
    DisclosurePermission,
    Enrollment,
    EnrollmentStatus,
    GradingScale,
    Result,
    ResultChange,
)
from rekisteri.training.selectors import code_hash, only_own_instances

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def _check_teaches(actor: Actor, instance: CourseInstance) -> None:
    """A trainer works only on their own instances; PermissionDenied otherwise."""
    user = actor.recorded_user
    if user is not None and only_own_instances(user) and not instance.trainers.filter(pk=user.pk).exists():
        raise PermissionDenied("You are not a trainer of this course instance.")


def course_create(
    *,
    actor: Actor,
    code: str,
    name_fi: str,
    name_en: str,
    company: GroupCompany | int,
    grading_scale: str = GradingScale.PASS_FAIL,
    license_body: str = "",
    license_requires_birth_date: bool = False,
) -> Course:
    errors: dict[str, str] = {}
    code = (code or "").strip().upper()
    if not code:
        errors["code"] = required()
    elif Course.objects.filter(code=code).exists():
        errors["code"] = ServiceError(_("A course with this code exists."), code="course.code_taken")
    for name, value in (("name_fi", name_fi), ("name_en", name_en)):
        if not (value or "").strip():
            errors[name] = required()
    if not isinstance(company, GroupCompany):
        company = GroupCompany.objects.filter(pk=company).first()
        if company is None:
            errors["company"] = ServiceError(_("No such group company."), code="group_company.unknown")
    if grading_scale not in GradingScale.values:
        errors["grading_scale"] = choose_one(GradingScale.values)
    license_body = (license_body or "").strip()
    if license_requires_birth_date and not license_body:
        errors["license_body"] = ServiceError(
            _("Name the license body that requires birth dates."), code="course.license_body"
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        course = Course.objects.create(
            code=code,
            name_fi=name_fi.strip(),
            name_en=name_en.strip(),
            company=company,
            grading_scale=grading_scale,
            license_body=license_body,
            license_requires_birth_date=license_requires_birth_date,
        )
        audit_record(actor=actor, action="create", object_type="course", object_ids=[course.pk])
    return course


def instance_create(
    *,
    actor: Actor,
    course: Course | str,
    starts_on: date,
    ends_on: date,
    trainers: Iterable[str] = (),
    place: str = "",
    online: bool = False,
    capacity: int | None = None,
) -> CourseInstance:
    """A course instance; `course` is a Course or its code, `trainers` usernames of trainers."""
    errors: dict[str, str] = {}
    if not isinstance(course, Course):
        course = Course.objects.filter(code=(course or "").strip().upper()).first()
        if course is None:
            errors["course"] = ServiceError(_("No such course."), code="course.unknown")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = ServiceError(
            _("The course cannot end before it starts."), code="course_instance.dates"
        )
    usernames = list(dict.fromkeys(trainers))
    found = list(
        get_user_model().objects.filter(
            username__in=usernames, is_active=True, staff_profile__role=Role.TRAINER
        )
    )
    missing = set(usernames) - {user.username for user in found}
    if missing:
        errors["trainers"] = ServiceError(
            _("Not an active trainer: %(trainers)s."),
            code="course_instance.trainer_inactive",
            params={"trainers": ", ".join(sorted(missing))},
        )
    user = actor.recorded_user
    if user is not None and only_own_instances(user) and user not in found:
        # Otherwise a trainer would create an instance they could never see again.
        errors["trainers"] = ServiceError(
            _("Name yourself among the trainers."), code="course_instance.trainer_self"
        )
    if not place.strip() and not online:
        errors["place"] = ServiceError(
            _("Give the place, or mark the course online."), code="course_instance.place"
        )
    if capacity is not None and capacity < 1:
        errors["capacity"] = ServiceError(_("At least 1."), code="course_instance.capacity")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        instance = CourseInstance.objects.create(
            course=course,
            starts_on=starts_on,
            ends_on=ends_on,
            place=place.strip(),
            online=online,
            capacity=capacity,
        )
        instance.trainers.set(found)
        audit_record(
            actor=actor,
            action="create",
            object_type="course_instance",
            object_ids=[instance.pk],
            detail={"course": course.pk, "trainers": sorted(u.pk for u in found)},
        )
    return instance


def enrollment_create(
    *,
    actor: Actor,
    instance: CourseInstance,
    person: Person,
    organization: Organization | int | None = None,
) -> Enrollment:
    """Enroll a person; they join the student group (section 4) if not in it already."""
    _check_teaches(actor, instance)
    restriction_check(person)  # Art. 18
    errors: dict[str, str] = {}
    if organization is not None and not isinstance(organization, Organization):
        organization = Organization.objects.filter(pk=organization).first()
        if organization is None:
            errors["organization"] = ServiceError(_("No such organization."), code="organization.unknown")
    if instance.enrollments.filter(person=person).exists():
        errors["person"] = ServiceError(
            _("The person is already enrolled in this course instance."), code="enrollment.exists"
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Capacity under the instance's row lock, so two enrollments cannot both take the last seat.
        locked = CourseInstance.objects.select_for_update().get(pk=instance.pk)
        taken = locked.enrollments.exclude(status=EnrollmentStatus.CANCELLED).count()
        if locked.capacity is not None and taken >= locked.capacity:
            raise ServiceError(_("The course instance is full."), code="enrollment.full", field="instance")
        enrollment = Enrollment.objects.create(
            person=person, instance=instance, organization=organization, enrolled_by=actor.recorded_user
        )
        PersonCategory.objects.get_or_create(person=person, category=PersonCategory.Category.STUDENT)
        audit_record(
            actor=actor,
            action="create",
            object_type="enrollment",
            object_ids=[enrollment.pk],
            person_ids=[person.pk],
            detail={"instance": instance.pk, "organization": organization.pk if organization else None},
        )
    return enrollment


# Attendance and cancellation; completion and failure come from the result.
_STATUS_MOVES = {
    EnrollmentStatus.ENROLLED: {EnrollmentStatus.ATTENDED, EnrollmentStatus.CANCELLED},
    EnrollmentStatus.ATTENDED: {EnrollmentStatus.ENROLLED, EnrollmentStatus.CANCELLED},
    EnrollmentStatus.CANCELLED: {EnrollmentStatus.ENROLLED},
}


def enrollment_status_set(*, actor: Actor, enrollment: Enrollment, status: str) -> Enrollment:
    _check_teaches(actor, enrollment.instance)
    if status == enrollment.status:
        return enrollment
    if status not in _STATUS_MOVES.get(enrollment.status, set()):
        raise ServiceError(
            _("A %(old)s enrollment cannot become %(new)s; a result sets completion."),
            code="enrollment.status_move",
            params={"old": enrollment.status, "new": status},
            field="status",
        )
    with transaction.atomic():
        enrollment.status = status
        enrollment.updated_at = timezone.now()
        enrollment.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="change",
            object_type="enrollment",
            object_ids=[enrollment.pk],
            person_ids=[enrollment.person_id],
            detail={"fields": ["status"], "status": status},
        )
    return enrollment


def _clean_result(course: Course, grade: str, completed_on: date, passed: bool) -> str:
    grade = (grade or "").strip().lower()
    errors: dict[str, str] = {}
    allowed = SCALE_GRADES[course.grading_scale]
    if grade not in allowed:
        errors["grade"] = ServiceError(
            _("On this course's scale (%(scale)s) a grade is one of: %(choices)s."),
            code="result.grade_not_on_scale",
            params={"scale": course.grading_scale, "choices": ", ".join(allowed)},
        )
    elif passed and grade in FAILING_GRADES:
        errors["passed"] = ServiceError(
            _("The grade %(grade)s does not pass."), code="result.grade_fails", params={"grade": grade}
        )
    elif not passed and course.grading_scale == GradingScale.PASS_FAIL and grade == "pass":
        errors["passed"] = ServiceError(_("The grade pass passes."), code="result.pass_passes")
    if completed_on is None:
        errors["completed_on"] = required()
    elif completed_on > timezone.localdate():
        errors["completed_on"] = ServiceError(
            _("A completion date cannot be in the future."), code="result.completed_in_future"
        )
    if errors:
        raise ValidationError(errors)
    return grade


def result_set(
    *,
    actor: Actor,
    enrollment: Enrollment,
    grade: str,
    completed_on: date,
    passed: bool,
    reason: str = "",
) -> Result:
    """Grade an enrollment. A grade once given changes only with a reason, kept (encrypted)
    with the values before and after, and audited."""
    _check_teaches(actor, enrollment.instance)
    restriction_check(enrollment.person)
    if enrollment.status == EnrollmentStatus.CANCELLED:
        raise ServiceError(
            _("A cancelled enrollment is not graded."), code="result.cancelled", field="status"
        )
    grade = _clean_result(enrollment.instance.course, grade, completed_on, passed)
    reason = (reason or "").strip()
    if len(reason) > 1000:
        raise ValidationError({"reason": too_long(1000)})
    with transaction.atomic():
        result = Result.objects.select_for_update().filter(enrollment=enrollment).first()
        new = {"grade": grade, "completed_on": completed_on.isoformat(), "passed": passed}
        if result is None:
            result = Result.objects.create(
                enrollment=enrollment,
                person_id=enrollment.person_id,
                grade=grade,
                completed_on=new["completed_on"],
                passed=passed,
                graded_by=actor.recorded_user,
            )
            action, detail = "create", {}
        else:
            old = {"grade": result.grade, "completed_on": result.completed_on, "passed": result.passed}
            if old == new:
                return result
            if not reason:
                raise ServiceError(
                    _("A grade once given is changed only with a reason."),
                    code="result.change_reason",
                    field="reason",
                )
            ResultChange.objects.create(
                result=result,
                person_id=enrollment.person_id,
                before=json.dumps(old),
                after=json.dumps(new),
                reason=reason,
                changed_by=actor.recorded_user,
            )
            result.grade, result.completed_on, result.passed = grade, new["completed_on"], passed
            result.graded_at, result.graded_by = timezone.now(), actor.recorded_user
            result.save()
            action, detail = (
                "change",
                {"fields": sorted(k for k in new if old[k] != new[k]), "with_reason": True},
            )
        enrollment.status = EnrollmentStatus.COMPLETED if passed else EnrollmentStatus.FAILED
        enrollment.updated_at = timezone.now()
        enrollment.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action=action,
            object_type="result",
            object_ids=[result.pk],
            person_ids=[enrollment.person_id],
            detail={"enrollment": str(enrollment.pk), **detail},
        )
    return result


def _verification_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))  # 80 bits
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def certificate_issue(*, actor: Actor, enrollment: Enrollment) -> Certificate:
    """A certificate of a passed course: number, issue date and a public verification code."""
    _check_teaches(actor, enrollment.instance)
    restriction_check(enrollment.person)
    result = Result.objects.filter(enrollment=enrollment).first()
    if result is None or not result.passed:
        raise ServiceError(
            _("A certificate is issued only for a passed course."),
            code="certificate.not_passed",
            field="enrollment",
        )
    if Certificate.objects.filter(enrollment=enrollment).exists():
        raise ServiceError(
            _("A certificate has already been issued for this enrollment."),
            code="certificate.exists",
            field="enrollment",
        )
    course = enrollment.instance.course
    today = timezone.localdate()
    code = _verification_code()
    with transaction.atomic():
        # The running number under the course's row lock: two issues cannot take the same one.
        Course.objects.select_for_update().filter(pk=course.pk).first()
        prefix = f"{course.code}-{today.year}-"
        # The highest number so far, not a count: an erased student's certificate leaves a gap.
        last = (
            Certificate.objects.filter(number__startswith=prefix, number__regex=r"-[0-9]{5,}$")
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        taken = int(last.rpartition("-")[2]) if last else 0
        certificate = Certificate.objects.create(
            enrollment=enrollment,
            person_id=enrollment.person_id,
            number=f"{prefix}{taken + 1:05d}",
            issued_on=today,
            code_hash=code_hash(code),
            verification_code=code,
            issued_by=actor.recorded_user,
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="certificate",
            object_ids=[certificate.pk],
            person_ids=[enrollment.person_id],
            detail={"enrollment": str(enrollment.pk)},
        )
    return certificate


def permission_record(*, actor: Actor, person: Person, recipient: str, granted_on: date | None = None) -> Any:
    """Section 6: record the student's permission to disclose their training data to `recipient`."""
    recipient = (recipient or "").strip()
    granted_on = granted_on or timezone.localdate()
    errors = {}
    if not recipient:
        errors["recipient"] = ServiceError(_("Name the recipient."), code="disclosure.recipient_required")
    elif len(recipient) > 200:
        errors["recipient"] = too_long(200)
    if granted_on > timezone.localdate():
        errors["granted_on"] = ServiceError(
            _("A permission cannot be granted in the future."), code="training_permission.future"
        )
    elif granted_on.year < 1900:
        errors["granted_on"] = ServiceError(
            _("Give the date the student gave the permission."), code="training_permission.date"
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        permission = DisclosurePermission.objects.create(
            person=person, recipient=recipient, granted_on=granted_on, recorded_by=actor.recorded_user
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="disclosure_permission",
            object_ids=[permission.pk],
            person_ids=[person.pk],
        )
    return permission
