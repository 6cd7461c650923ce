"""The student register: enrollments, results, grade changes, certificates and the student's
permissions to disclose.

Declared for the personal-data registry (rekisteri.privacy.registry), which finds this
module in every installed app. Training records are processed for the training contract
(section 3), so they are part of portability (Art. 20(1)(a): contract) too.
"""

from __future__ import annotations

from typing import Any

from rekisteri.privacy.registry import PersonalDataModel, iso, register

TRAINING = ("training",)
# Section 7: training records are kept for the customer organization's and the license
# body's needs, five years after completion; their own period, apart from customer data.
RETENTION = {"retention_years": 5}


def _export_enrollment(row: Any) -> dict[str, Any]:
    course = row.instance.course
    return {
        "course_code": course.code,
        "course_name_fi": course.name_fi,
        "course_name_en": course.name_en,
        "starts_on": iso(row.instance.starts_on),
        "ends_on": iso(row.instance.ends_on),
        "organization_id": row.organization_id,
        "status": row.status,
        "enrolled_at": iso(row.enrolled_at),
    }


def _export_result(row: Any) -> dict[str, Any]:
    return {
        "course_code": row.enrollment.instance.course.code,
        "grade": row.grade,
        "completed_on": row.completed_on,
        "passed": row.passed,
        "graded_at": iso(row.graded_at),
    }


def _export_change(row: Any) -> dict[str, Any]:
    return {"before": row.before, "after": row.after, "reason": row.reason, "changed_at": iso(row.changed_at)}


def _export_certificate(row: Any) -> dict[str, Any]:
    return {
        "number": row.number,
        "course_code": row.enrollment.instance.course.code,
        "issued_on": iso(row.issued_on),
        "verification_code": row.verification_code,
        "valid": row.is_valid,
    }


def _export_permission(row: Any) -> dict[str, Any]:
    return {
        "recipient": row.recipient,
        "granted_on": iso(row.granted_on),
        "withdrawn_at": iso(row.withdrawn_at),
    }


def _export_portal_link(row: Any) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "created_at": iso(row.created_at),
        "expires_at": iso(row.expires_at),
        "used_at": iso(row.used_at),
    }


# Erasure deletes in this order: the rows that hang on an enrollment before it.
register(
    PersonalDataModel(
        label="training.Certificate",
        person_lookup="person",
        merge="move",
        categories=("training_records",),
        purposes=TRAINING,
        export=_export_certificate,
        provided_by_person=("number", "issued_on"),
        description="Certificates issued to the student, with their numbers and verification codes.",
        extra=RETENTION,
    )
)
register(
    PersonalDataModel(
        label="training.ResultChange",
        person_lookup="person",
        merge="move",
        categories=("training_records",),
        purposes=TRAINING,
        export=_export_change,
        description="Changes of a given grade, with their reasons.",
        extra=RETENTION,
    )
)
register(
    PersonalDataModel(
        label="training.Result",
        person_lookup="person",
        merge="move",
        categories=("training_records",),
        purposes=TRAINING,
        export=_export_result,
        provided_by_person=("grade", "completed_on", "passed"),
        description="Grades and completion dates of the courses the student took.",
        extra=RETENTION,
    )
)
register(
    PersonalDataModel(
        label="training.DisclosurePermission",
        person_lookup="person",
        merge="move",
        categories=("relationship",),
        purposes=TRAINING,
        export=_export_permission,
        description="The student's permissions to disclose their training data to other recipients.",
        extra=RETENTION,
    )
)
register(
    PersonalDataModel(
        label="training.Enrollment",
        person_lookup="person",
        merge="move",
        categories=("training_records",),
        purposes=TRAINING,
        export=_export_enrollment,
        provided_by_person=("status", "enrolled_at"),
        description="The courses the student enrolled in and under which organization.",
        extra=RETENTION,
    )
)
register(
    PersonalDataModel(
        label="training.PortalLink",
        person_lookup="person",
        merge="move",
        categories=("contact_history",),
        purposes=TRAINING,
        export=_export_portal_link,
        description="Links the student asked for to see their own training results in the portal.",
    )
)
