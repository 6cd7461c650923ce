"""The request and answer schemas of the student register's API (rekisteri.training.api)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Path, Schema
from pydantic import Field

from rekisteri.api.schemas import MAX_DB_INT, BodyId, InputSchema, Line, Paragraphs
from rekisteri.training.models import GradingScale

Code = Annotated[str, Field(min_length=1, max_length=32, pattern="^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Username = Annotated[str, Field(min_length=1, max_length=150, pattern="^[\\w.@+-]+$")]
CourseDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
InstanceId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="The course instance's id.")]
EnrollmentId = Annotated[UUID, Path(description="The enrollment's id (a UUID).")]


class CourseIn(InputSchema):
    code: Code
    name_fi: Line(200) = Field(min_length=1)
    name_en: Line(200) = Field(min_length=1)
    company: BodyId = Field(description="The providing group company's id.")
    grading_scale: Literal[tuple(GradingScale.values)] = GradingScale.PASS_FAIL
    license_body: Line(200) = Field(
        "", description="The body granting the license, when the course leads to one."
    )
    license_requires_birth_date: bool = Field(
        False, description="The license body needs the students' birth dates (section 4)."
    )


class CourseOut(Schema):
    id: int
    code: str
    name_fi: str
    name_en: str
    company_id: int
    grading_scale: str
    license_body: str
    license_requires_birth_date: bool


class InstanceIn(InputSchema):
    course: Code = Field(description="The course's code.")
    starts_on: CourseDate
    ends_on: CourseDate
    trainers: Annotated[list[Username], Field(max_length=20, description="Usernames of trainers.")] = []
    place: Line(200) = ""
    online: bool = False
    capacity: Annotated[int | None, Field(None, ge=1, le=10_000)] = None


class InstanceOut(Schema):
    id: int
    course: str
    starts_on: date
    ends_on: date
    place: str
    online: bool
    capacity: int | None
    trainers: list[str]


class ResultOut(Schema):
    grade: str
    completed_on: date
    passed: bool


class EnrollmentOut(Schema):
    id: UUID
    instance_id: int
    person_id: UUID
    organization_id: int | None
    status: str
    enrolled_at: datetime


class ParticipantOut(EnrollmentOut):
    name: str
    result: ResultOut | None = Field(description="Null when not graded, or your role may not see grades.")
    certificate_number: str | None = Field(description="Null when none, or your role may not see it.")


class InstanceDetailOut(InstanceOut):
    participants: list[ParticipantOut]
    grades_shown: bool = Field(description="False when your role sees enrollment status but no grades.")


class EnrollmentIn(InputSchema):
    instance_id: BodyId
    person_id: UUID
    organization_id: BodyId | None = Field(
        None, description="The customer organization the student attends under."
    )


class StatusIn(InputSchema):
    status: Literal["enrolled", "attended", "cancelled"]


class ResultIn(InputSchema):
    grade: Line(16) = Field(
        min_length=1, description="A grade on the course's scale (pass/fail, 0-5 or 1-5)."
    )
    completed_on: CourseDate
    passed: bool
    reason: Paragraphs(1000) = Field("", description="Required when changing a grade already given.")


class CertificateOut(Schema):
    id: UUID
    number: str
    issued_on: date
    verification_code: str
    enrollment_id: UUID
