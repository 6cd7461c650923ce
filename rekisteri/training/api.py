"""/api/v1 of the student register: courses, course instances, enrollments, results,
certificates and the training report to a customer organization.

Every write goes through training.services with origin "api"; a trainer reaches only the
instances they teach (others are 404, as if they did not exist).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import Path, Router, Schema, Status
from pydantic import Field

from rekisteri.accounts.api_auth import api_actor, api_user, staff_with
from rekisteri.api.errors import ApiError, error_responses, field_error
from rekisteri.api.schemas import MAX_DB_INT, BodyId, InputSchema, Line
from rekisteri.organizations.models import Organization
from rekisteri.people.models import Person
from rekisteri.people.selectors import visible_persons
from rekisteri.privacy.authority_disclosure import authority_disclosure_record
from rekisteri.privacy.disclosure import disclosures_of
from rekisteri.privacy.models import Recipient
from rekisteri.training import services
from rekisteri.training.api_schemas import (
    CertificateOut,
    CourseIn,
    CourseOut,
    EnrollmentId,
    EnrollmentIn,
    EnrollmentOut,
    InstanceDetailOut,
    InstanceId,
    InstanceIn,
    InstanceOut,
    ResultIn,
    ResultOut,
    StatusIn,
)
from rekisteri.training.documents import certificate_document
from rekisteri.training.models import Certificate, Course
from rekisteri.training.report_mail import LANGUAGES, MAIL_FORMATS, training_report_send
from rekisteri.training.reports import (
    CONTENT_TYPES,
    FORMATS,
    license_export,
    training_disclose,
    training_report,
)
from rekisteri.training.selectors import enrollment_for, instance_for, instance_participants, sees_grades

router = Router(tags=["training"])


def _not_found() -> ApiError:
    return ApiError(404, "Not found.", code="not_found")


def _course_out(course: Course) -> dict:
    return {
        "id": course.pk,
        "code": course.code,
        "name_fi": course.name_fi,
        "name_en": course.name_en,
        "company_id": course.company_id,
        "grading_scale": course.grading_scale,
        "license_body": course.license_body,
        "license_requires_birth_date": course.license_requires_birth_date,
    }


def _instance_out(instance) -> dict:
    return {
        "id": instance.pk,
        "course": instance.course.code,
        "starts_on": instance.starts_on,
        "ends_on": instance.ends_on,
        "place": instance.place,
        "online": instance.online,
        "capacity": instance.capacity,
        "trainers": sorted(user.username for user in instance.trainers.all()),
    }


def _enrollment_out(enrollment) -> dict:
    return {
        "id": enrollment.pk,
        "instance_id": enrollment.instance_id,
        "person_id": enrollment.person_id,
        "organization_id": enrollment.organization_id,
        "status": enrollment.status,
        "enrolled_at": enrollment.enrolled_at,
    }


def _result_out(result) -> dict | None:
    if result is None:
        return None
    return {
        "grade": result.grade,
        "completed_on": date.fromisoformat(result.completed_on),
        "passed": result.passed,
    }


@router.get(
    "/courses",
    response={200: list[CourseOut], **error_responses(401, 403)},
    auth=staff_with("training.view_course"),
)
def list_courses(request: HttpRequest):
    return [_course_out(course) for course in Course.objects.all()[:500]]


@router.post(
    "/courses",
    response={201: CourseOut, **error_responses(401, 403, 422)},
    auth=staff_with("training.add_course"),
)
def create_course(request: HttpRequest, payload: CourseIn):
    course = services.course_create(actor=api_actor(request), **payload.model_dump())
    return Status(201, _course_out(course))


@router.post(
    "/course-instances",
    response={201: InstanceOut, **error_responses(401, 403, 422)},
    auth=staff_with("training.add_courseinstance"),
)
def create_instance(request: HttpRequest, payload: InstanceIn):
    instance = services.instance_create(actor=api_actor(request), **payload.model_dump())
    return Status(201, _instance_out(instance))


@router.get(
    "/course-instances/{instance_id}",
    response={200: InstanceDetailOut, **error_responses(401, 403, 404)},
    auth=staff_with("training.view_courseinstance"),
)
def get_instance(request: HttpRequest, instance_id: InstanceId):
    user = api_user(request)
    instance = instance_for(user, instance_id)
    if instance is None:
        raise _not_found()
    participants = instance_participants(actor=api_actor(request), instance=instance)
    return {
        **_instance_out(instance),
        "grades_shown": sees_grades(user),
        "participants": [
            {
                **_enrollment_out(p.enrollment),
                "name": p.name,
                "result": _result_out(p.result),
                "certificate_number": p.certificate.number if p.certificate else None,
            }
            for p in participants
        ],
    }


@router.post(
    "/enrollments",
    response={201: EnrollmentOut, **error_responses(401, 403, 422)},
    auth=staff_with("training.add_enrollment"),
)
def create_enrollment(request: HttpRequest, payload: EnrollmentIn):
    user = api_user(request)
    instance = instance_for(user, payload.instance_id)
    if instance is None:
        raise field_error("instance_id", "No such course instance.")
    # Enrolling makes the person a student, so a trainer (who sees only students) can enroll
    # a new participant by the id sales gave them.
    person = Person.objects.filter(pk=payload.person_id).first()
    if person is None:
        raise field_error("person_id", "No such person.")
    try:
        enrollment = services.enrollment_create(
            actor=api_actor(request), instance=instance, person=person, organization=payload.organization_id
        )
    except PermissionDenied:
        raise field_error("instance_id", "No such course instance.") from None
    return Status(201, _enrollment_out(enrollment))


@router.post(
    "/enrollments/{enrollment_id}/status",
    response={200: EnrollmentOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("training.change_enrollment"),
)
def set_status(request: HttpRequest, enrollment_id: EnrollmentId, payload: StatusIn):
    """Mark attendance (attended), undo it (enrolled), or cancel."""
    enrollment = enrollment_for(api_user(request), enrollment_id)
    if enrollment is None:
        raise _not_found()
    services.enrollment_status_set(actor=api_actor(request), enrollment=enrollment, status=payload.status)
    return _enrollment_out(enrollment)


@router.post(
    "/enrollments/{enrollment_id}/result",
    response={200: ResultOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("training.add_result", "training.change_result"),
)
def set_result(request: HttpRequest, enrollment_id: EnrollmentId, payload: ResultIn):
    """Grade an enrollment; a grade already given changes only with a reason (audited)."""
    enrollment = enrollment_for(api_user(request), enrollment_id)
    if enrollment is None:
        raise _not_found()
    result = services.result_set(actor=api_actor(request), enrollment=enrollment, **payload.model_dump())
    return _result_out(result)


@router.get(
    "/enrollments/{enrollment_id}/certificate",
    response={200: None, **error_responses(401, 403, 404)},
    auth=staff_with("training.view_certificate"),
    openapi_extra={
        "responses": {200: {"description": "The certificate as a PDF.", "content": {"application/pdf": {}}}}
    },
)
def certificate_file(request: HttpRequest, enrollment_id: EnrollmentId):
    """The certificate of an enrollment as a PDF (404 when none was issued)."""
    enrollment = enrollment_for(api_user(request), enrollment_id)
    certificate = Certificate.objects.filter(enrollment=enrollment).first() if enrollment else None
    if certificate is None:
        raise _not_found()
    response = HttpResponse(
        certificate_document(actor=api_actor(request), certificate=certificate),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'attachment; filename="{certificate.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@router.post(
    "/enrollments/{enrollment_id}/certificate",
    response={201: CertificateOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("training.add_certificate"),
)
def issue_certificate(request: HttpRequest, enrollment_id: EnrollmentId):
    enrollment = enrollment_for(api_user(request), enrollment_id)
    if enrollment is None:
        raise _not_found()
    certificate = services.certificate_issue(actor=api_actor(request), enrollment=enrollment)
    return Status(
        201,
        {
            "id": certificate.pk,
            "number": certificate.number,
            "issued_on": certificate.issued_on,
            "verification_code": certificate.verification_code,
            "enrollment_id": enrollment.pk,
        },
    )


# --- Disclosures (section 6) ---------------------------------------------------------------

OrganizationId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="The organization's id.")]
PersonId = Annotated[UUID, Path(description="The person's id (a UUID).")]


@router.get(
    "/organizations/{organization_id}/training-report",
    response={200: None, **error_responses(401, 403, 404, 422)},
    auth=staff_with("training.report_training"),
    openapi_extra={
        "responses": {
            200: {
                "description": "The organization's people's enrollments, completions and grades (a trainer's:"
                " their own instances only). Every person in it is logged as disclosed to the organization.",
                "content": {content_type: {} for content_type in CONTENT_TYPES.values()},
            }
        }
    },
)
def training_report_file(
    request: HttpRequest, organization_id: OrganizationId, format: Literal[FORMATS] = "csv"
):
    """The training report to a customer organization (section 6), as CSV, PDF or JSON."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise _not_found()
    report = training_report(actor=api_actor(request), organization=organization, format=format)
    response = HttpResponse(report.content, content_type=report.content_type)
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    response["Cache-Control"] = "no-store"
    return response


class ReportSendIn(InputSchema):
    to_person_id: UUID = Field(
        description="The organization's contact person: a customer representative linked to it."
    )
    format: Literal[MAIL_FORMATS] = Field("pdf", description="The attached file's format.")
    language: Literal[LANGUAGES] = Field("fi", description="The language of the mail.")


class ReportSentOut(Schema):
    mail_id: UUID = Field(description="The mail in the outbox; the worker delivers it.")
    to_person_id: UUID
    filename: str
    persons: int = Field(description="Persons in the report, each logged as disclosed.")
    rows: int


@router.post(
    "/organizations/{organization_id}/training-report/send",
    response={202: ReportSentOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with("training.report_training"),
)
def send_training_report(request: HttpRequest, organization_id: OrganizationId, payload: ReportSendIn):
    """Mail the training report (PDF or CSV attached) to a contact person of the organization
    through the outbox; every person in it is logged as disclosed to the organization. Any
    other recipient is refused (422 rule_violation), as is an organization with nobody to
    report."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise _not_found()
    to_person = Person.objects.filter(pk=payload.to_person_id).first()
    if to_person is None:
        raise field_error("to_person_id", "No such person.")
    sent = training_report_send(
        actor=api_actor(request),
        organization=organization,
        to_person=to_person,
        format=payload.format,
        language=payload.language,
    )
    return Status(
        202,
        {
            "mail_id": sent.mail.pk,
            "to_person_id": to_person.pk,
            "filename": sent.filename,
            "persons": sent.persons,
            "rows": sent.rows,
        },
    )


@router.get(
    "/course-instances/{instance_id}/license-export",
    response={200: None, **error_responses(401, 403, 404, 422)},
    auth=staff_with("training.report_training"),
    openapi_extra={
        "responses": {
            200: {
                "description": "The instance's completions for the license body (a processor), as CSV;"
                " every person in it is logged as disclosed to it.",
                "content": {CONTENT_TYPES["csv"]: {}},
            }
        }
    },
)
def license_export_file(request: HttpRequest, instance_id: InstanceId):
    """The export of completions to the training-license provider (section 6)."""
    instance = instance_for(api_user(request), instance_id)
    if instance is None:
        raise _not_found()
    report = license_export(actor=api_actor(request), instance=instance)
    response = HttpResponse(report.content, content_type=report.content_type)
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    response["Cache-Control"] = "no-store"
    return response


class PermissionIn(InputSchema):
    recipient: Line(200) = Field(min_length=1, description="Who may receive the student's training data.")
    # A plain date: bounds inside an optional field do not reach the OpenAPI document, and
    # the service refuses dates before 1900 or in the future (rule_violation).
    granted_on: date | None = Field(None, description="When the student gave it; default today.")


class PermissionOut(Schema):
    id: UUID
    recipient: str
    granted_on: date


class DiscloseIn(InputSchema):
    recipient: Line(200) = Field(min_length=1, description="A recipient the student has permitted.")


class DisclosedRowOut(Schema):
    course_code: str
    course_name: str
    starts_on: date
    ends_on: date
    status: str
    grade: str
    passed: bool | None
    completed_on: str
    certificate: str


class DisclosedOut(Schema):
    recipient: str
    enrollments: list[DisclosedRowOut]


class DisclosureOut(Schema):
    recipient: str
    categories: list[str]
    disclosed_at: datetime
    disclosed_by: str | None = Field(description="The staff member's username; null for the system.")
    basis: str = Field(
        description="customer_organization, data_subject_permission, group_company, processor, "
        "legal_obligation; empty for records made before bases were kept."
    )
    purpose: str
    recipient_kind: str = Field(
        description="group_company, processor or authority from the recipients register; empty outside it."
    )
    legal_reference: str = Field(description="A disclosure to an authority: the statute or decision.")


class AuthorityDisclosureIn(InputSchema):
    recipient_id: BodyId = Field(description="An authority of the recipients register.")
    authority_name: Line(200) = Field(default="", description="The specific authority, e.g. a court.")
    legal_reference: Line(300) = Field(
        min_length=1, description="The statute or the authority's decision that requires the disclosure."
    )
    categories: list[Line(64)] = Field(min_length=1, max_length=20, description="Data categories disclosed.")


def _person_seen(request: HttpRequest, person_id: UUID) -> Person:
    person = visible_persons(api_user(request)).filter(pk=person_id).first()
    if person is None:
        raise _not_found()
    return person


@router.post(
    "/persons/{person_id}/disclosure-permissions",
    response={201: PermissionOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with("training.add_disclosurepermission"),
)
def record_permission(request: HttpRequest, person_id: PersonId, payload: PermissionIn):
    """Record the student's permission to disclose their training data to a recipient."""
    permission = services.permission_record(
        actor=api_actor(request), person=_person_seen(request, person_id), **payload.model_dump()
    )
    return Status(
        201, {"id": permission.pk, "recipient": permission.recipient, "granted_on": permission.granted_on}
    )


@router.post(
    "/persons/{person_id}/training-disclosures",
    response={200: DisclosedOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with("training.report_training"),
)
def disclose_training(request: HttpRequest, person_id: PersonId, payload: DiscloseIn):
    """A student's training records for a recipient other than their customer organization:
    refused (422 rule_violation) without the student's recorded permission; logged."""
    rows = training_disclose(
        actor=api_actor(request), person=_person_seen(request, person_id), recipient=payload.recipient
    )
    return {"recipient": payload.recipient, "enrollments": rows}


@router.get(
    "/persons/{person_id}/disclosures",
    response={200: list[DisclosureOut], **error_responses(401, 403, 404)},
    auth=staff_with("privacy.view_disclosure"),
)
def list_disclosures(request: HttpRequest, person_id: PersonId):
    """Who received the person's data, what, when and on which basis (section 6, Art. 19)."""
    person = _person_seen(request, person_id)
    return [
        {
            "recipient": row.recipient,
            "categories": list(row.categories),
            "disclosed_at": row.disclosed_at,
            "disclosed_by": row.disclosed_by.username if row.disclosed_by_id else None,
            "basis": row.basis,
            "purpose": row.purpose,
            "recipient_kind": row.recipient_record.kind if row.recipient_record_id else "",
            "legal_reference": row.legal_reference or "",
        }
        for row in disclosures_of(actor=api_actor(request), person_id=person.pk)
    ]


@router.post(
    "/persons/{person_id}/authority-disclosures",
    response={201: DisclosureOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("privacy.disclose_to_authority"),
)
def disclose_to_authority(request: HttpRequest, person_id: PersonId, payload: AuthorityDisclosureIn):
    """Record a disclosure of the person's data to an authority, only where the law requires
    it (section 6): 422 rule_violation without a legal basis or for a recipient that is not an
    authority of the register. Logged for the person; feeds Art. 19 and the access package."""
    person = _person_seen(request, person_id)
    row = authority_disclosure_record(
        actor=api_actor(request),
        person=person,
        recipient=Recipient.objects.filter(pk=payload.recipient_id).first(),
        authority_name=payload.authority_name,
        legal_reference=payload.legal_reference,
        categories=payload.categories,
    )
    return Status(
        201,
        {
            "recipient": row.recipient,
            "categories": list(row.categories),
            "disclosed_at": row.disclosed_at,
            "disclosed_by": row.disclosed_by.username if row.disclosed_by_id else None,
            "basis": row.basis,
            "purpose": row.purpose,
            "recipient_kind": Recipient.Kind.AUTHORITY,
            "legal_reference": row.legal_reference or "",
        },
    )
