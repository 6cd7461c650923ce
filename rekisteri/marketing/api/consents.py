"""/api/v1/persons/{id}/consents and /role-relevance: consents with their proof (Art. 7)
and the B2B role relevance of marketing topics (Act 917/2014 ch. 24)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from django.http import HttpRequest
from ninja import Path, Router, Schema, Status
from pydantic import Field

from rekisteri.accounts.api_auth import api_actor, staff_with
from rekisteri.api.errors import ApiError, error_responses
from rekisteri.api.schemas import InputSchema, JsonInt, Line
from rekisteri.marketing.api.common import GivingChannel, PersonId, Slug, WithdrawChannel
from rekisteri.marketing.api.common import person_for as _person
from rekisteri.marketing.models import Consent, RoleRelevance
from rekisteri.marketing.services.consents import (
    consent_give,
    consent_withdraw,
    relevance_mark,
    relevance_remove,
)
from rekisteri.people.api_schemas import GoneOut

persons_router = Router(tags=["consents"])
ConsentId = Annotated[UUID, Path(description="The consent's id (a UUID).")]
RelevanceId = Annotated[UUID, Path(description="The role-relevance mark's id (a UUID).")]


class ConsentIn(InputSchema):
    topic: Slug
    channel: GivingChannel
    wording_version: JsonInt(ge=1, le=1_000_000) | None = None


class WithdrawIn(InputSchema):
    channel: WithdrawChannel = "email"


class ConsentOut(Schema):
    id: UUID
    person_id: UUID
    topic: str
    wording_version: int
    given_at: datetime
    given_channel: str
    withdrawn_at: datetime | None
    withdrawn_channel: str
    in_force: bool


def consent_out(consent: Consent) -> dict:
    return {
        "id": consent.pk,
        "person_id": consent.person_id,
        "topic": consent.topic.slug,
        "wording_version": consent.wording.version,
        "given_at": consent.given_at,
        "given_channel": consent.given_channel,
        "withdrawn_at": consent.withdrawn_at,
        "withdrawn_channel": consent.withdrawn_channel,
        "in_force": consent.withdrawn_at is None,
    }


@persons_router.get(
    "/{person_id}/consents",
    response={200: list[ConsentOut], 410: GoneOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("marketing.view_consent"),
)
def list_consents(request: HttpRequest, person_id: PersonId):
    from rekisteri.marketing.selectors import consents_of

    person = _person(request, person_id)
    return [consent_out(c) for c in consents_of(actor=api_actor(request), person=person)]


@persons_router.post(
    "/{person_id}/consents",
    response={201: ConsentOut, 410: GoneOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with("marketing.add_consent"),
)
def give_consent(request: HttpRequest, person_id: PersonId, payload: ConsentIn):
    """Record a consent (Art. 7(1)): the topic, the channel and the wording version shown
    (the topic's newest when left out). A consent already in force is a 409."""
    from rekisteri.marketing.services.consents import ConsentInForce

    person = _person(request, person_id)
    try:
        consent = consent_give(
            actor=api_actor(request),
            person=person,
            topic=payload.topic,
            channel=payload.channel,
            wording_version=payload.wording_version,
            evidence={"source": "api"},
        )
    except ConsentInForce as exc:
        raise ApiError(409, "A consent to this topic is already in force.", code="conflict") from exc
    return Status(201, consent_out(consent))


@persons_router.post(
    "/{person_id}/consents/{consent_id}/withdraw",
    response={200: ConsentOut, 410: GoneOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("marketing.change_consent"),
)
def withdraw_consent(
    request: HttpRequest, person_id: PersonId, consent_id: ConsentId, payload: WithdrawIn | None = None
):
    """Withdraw a consent now (Art. 7(3)); the record stays as proof. Repeating it changes nothing."""
    person = _person(request, person_id)
    consent = Consent.objects.filter(pk=consent_id, person=person).select_related("topic", "wording").first()
    if consent is None:
        raise ApiError(404, "No such consent.", code="not_found")
    consent = consent_withdraw(
        actor=api_actor(request), consent=consent, channel=(payload.channel if payload else "email")
    )
    return consent_out(consent)


# --- B2B role relevance ----------------------------------------------------------------


class RelevanceIn(InputSchema):
    topic: Slug
    reason: Line(500) = Field(min_length=1)


class RelevanceRemoveIn(InputSchema):
    reason: Line(500) = Field(min_length=1)


class RelevanceOut(Schema):
    id: UUID
    person_id: UUID
    topic: str
    reason: str
    marked_at: datetime
    marked_by: str | None
    in_force: bool
    removed_at: datetime | None
    removed_by: str | None
    removal_reason: str


def relevance_out(row: RoleRelevance) -> dict:
    return {
        "id": row.pk,
        "person_id": row.person_id,
        "topic": row.topic.slug,
        "reason": row.reason or "",
        "marked_at": row.marked_at,
        "marked_by": row.marked_by.username if row.marked_by else None,
        "in_force": row.removed_at is None,
        "removed_at": row.removed_at,
        "removed_by": row.removed_by.username if row.removed_by else None,
        "removal_reason": row.removal_reason or "",
    }


@persons_router.get(
    "/{person_id}/role-relevance",
    response={200: list[RelevanceOut], 410: GoneOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("marketing.view_rolerelevance"),
)
def list_relevance(request: HttpRequest, person_id: PersonId):
    """The topics marked as concerning the person's work role, removed marks included
    (newest first): the history of the B2B opt-out basis."""
    from rekisteri.marketing.selectors import relevance_of

    person = _person(request, person_id)
    return [relevance_out(r) for r in relevance_of(actor=api_actor(request), person=person)]


@persons_router.post(
    "/{person_id}/role-relevance",
    response={201: RelevanceOut, 410: GoneOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with("marketing.add_rolerelevance"),
)
def mark_relevance(request: HttpRequest, person_id: PersonId, payload: RelevanceIn):
    """Mark a newsletter list's topic as concerning the person's work role, with the reason:
    B2B opt-out campaigns on it may then reach them (unless they objected). A mark in force
    on the topic is ended and replaced. A restricted person is a 409."""
    person = _person(request, person_id)
    relevance = relevance_mark(
        actor=api_actor(request), person=person, topic=payload.topic, reason=payload.reason
    )
    return Status(201, relevance_out(relevance))


@persons_router.post(
    "/{person_id}/role-relevance/{relevance_id}/remove",
    response={200: RelevanceOut, 410: GoneOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("marketing.change_rolerelevance"),
)
def remove_relevance(
    request: HttpRequest, person_id: PersonId, relevance_id: RelevanceId, payload: RelevanceRemoveIn
):
    """End a mark, with the reason; it stays in the history. Repeating it changes nothing."""
    person = _person(request, person_id)
    relevance = RoleRelevance.objects.filter(pk=relevance_id, person=person).first()
    if relevance is None:
        raise ApiError(404, "No such role-relevance mark.", code="not_found")
    relevance = relevance_remove(actor=api_actor(request), relevance=relevance, reason=payload.reason)
    return relevance_out(relevance)
