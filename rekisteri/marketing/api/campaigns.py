"""/api/v1/campaigns: compose, schedule, preview the audience, send, pause, resume, cancel,
and the report (delivery counts and delivered / opened / clicked over time)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Router, Schema, Status
from pydantic import BeforeValidator, Field

from rekisteri.accounts.api_auth import api_actor, api_user, staff_with
from rekisteri.api.errors import ApiError, error_responses
from rekisteri.api.schemas import InputSchema, JsonInt, Line, Paragraphs
from rekisteri.errors import english
from rekisteri.marketing.api.common import Slug
from rekisteri.marketing.models import Campaign
from rekisteri.marketing.services import campaigns as campaign_services

campaigns_router = Router(tags=["campaigns"])


def _iso_string(value: object) -> object:
    # Pydantic would read numbers as Unix seconds; that guess is not worth making.
    if not isinstance(value, str):
        raise ValueError("Give the time as an ISO 8601 string, such as 2027-03-01T10:00:00+02:00.")
    return value


SendTime = Annotated[
    datetime,
    BeforeValidator(_iso_string),
    Field(description="When to send, ISO 8601; without an offset it is Helsinki time. In the future."),
]


def _aware(value: datetime) -> datetime:
    """A naive time is the register's local time; a time beyond the calendar is a rule's 422."""
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationError({"scheduled_at": "Give a time in the future."}) from None
    return value


# --- Campaigns ---------------------------------------------------------------------------

CampaignId = Annotated[int, Path(description="The campaign's id.", ge=1, le=2**63 - 1)]


class CampaignIn(InputSchema):
    list: Slug
    subject: Line(200) = Field(min_length=1)
    body_markdown: Paragraphs(100_000) = Field(min_length=1)
    basis: Literal["opt_in", "b2b_opt_out"] = "opt_in"
    language: Literal["fi", "en"] = "fi"
    rate_limit: JsonInt(ge=0, le=100_000) = 0
    scheduled_at: SendTime | None = None


class ScheduleIn(InputSchema):
    scheduled_at: SendTime


class ReportPointOut(Schema):
    start: datetime = Field(description="The start of the bucket (an hour, or a Helsinki day).")
    delivered: int
    opened: int
    clicked: int


class ReportOut(Schema):
    bucket: Literal["hour", "day"]
    series: list[ReportPointOut]


class AudienceOut(Schema):
    audience: int
    excluded: dict[str, int]


class DeliveryCountsOut(Schema):
    queued: int
    sent: int
    failed: int
    cancelled: int


class CampaignOut(Schema):
    id: int
    list: str
    subject: str
    basis: str
    language: str
    status: str
    scheduled_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    audience_at_send: AudienceOut | None
    deliveries: DeliveryCountsOut
    opens: int
    clicks: int


def _campaign(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.filter(pk=campaign_id).select_related("topic").first()
    if campaign is None:
        raise ApiError(404, "No such campaign.", code="not_found")
    return campaign


def campaign_out(campaign: Campaign) -> dict:
    from rekisteri.marketing.selectors import campaign_stats

    stats = campaign_stats(campaign)
    return {
        "id": campaign.pk,
        "list": campaign.topic.slug,
        "subject": campaign.subject,
        "basis": campaign.basis,
        "language": campaign.language,
        "status": campaign.status,
        "scheduled_at": campaign.scheduled_at,
        "created_at": campaign.created_at,
        "started_at": campaign.started_at,
        "finished_at": campaign.finished_at,
        "audience_at_send": campaign.audience_counts or None,
        "deliveries": stats["deliveries"],
        "opens": stats["opens"],
        "clicks": stats["clicks"],
    }


def _state_error(exc) -> ApiError:
    return ApiError(409, english(exc, "; "), code="conflict")


@campaigns_router.get(
    "",
    response={200: list[CampaignOut], **error_responses(401, 403)},
    auth=staff_with("marketing.view_campaign"),
)
def list_campaigns(request: HttpRequest):
    return [campaign_out(c) for c in Campaign.objects.select_related("topic").order_by("-created_at")[:100]]


@campaigns_router.post(
    "",
    response={201: CampaignOut, **error_responses(401, 403, 422)},
    auth=staff_with("marketing.add_campaign"),
)
def create_campaign(request: HttpRequest, payload: CampaignIn):
    """A draft campaign to a list, in Markdown; its audience is computed when it is sent.
    With `scheduled_at` (in the future) it is scheduled at once: the worker starts it then,
    and it can be cancelled until it starts (also needs the right to send)."""
    actor = api_actor(request)
    if payload.scheduled_at is not None and not api_user(request).has_perm("marketing.send_campaign"):
        raise ApiError(403, "Scheduling a campaign needs the right to send it.", code="permission_denied")
    with transaction.atomic():
        campaign = campaign_services.campaign_create(
            actor=actor,
            topic=payload.list,
            subject=payload.subject,
            body_markdown=payload.body_markdown,
            basis=payload.basis,
            language=payload.language,
            rate_limit=payload.rate_limit,
        )
        if payload.scheduled_at is not None:
            campaign = campaign_services.campaign_schedule(
                actor=actor, campaign=campaign, at=_aware(payload.scheduled_at)
            )
    return Status(201, campaign_out(campaign))


@campaigns_router.get(
    "/{campaign_id}",
    response={200: CampaignOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("marketing.view_campaign"),
)
def get_campaign(request: HttpRequest, campaign_id: CampaignId):
    """Status and delivery counts (queued, sent, failed with the server's reply, cancelled)."""
    return campaign_out(_campaign(campaign_id))


@campaigns_router.get(
    "/{campaign_id}/report",
    response={200: ReportOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("marketing.view_campaign"),
)
def campaign_report(request: HttpRequest, campaign_id: CampaignId):
    """Delivered, opened and clicked over time, the series of the report's chart: by the
    hour for the first 72 hours, by the Helsinki day when the campaign spans longer.
    Aggregate counts only (opens and clicks of everyone, tracked individually or not)."""
    from rekisteri.marketing.selectors import campaign_report as report

    return report(_campaign(campaign_id))


@campaigns_router.get(
    "/{campaign_id}/audience",
    response={200: AudienceOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("marketing.view_campaign"),
)
def campaign_audience(request: HttpRequest, campaign_id: CampaignId):
    """The audience if the campaign were sent now: its size and the count of each exclusion
    reason (restricted, objected, unsubscribed, not_subscribed, no_basis, suppressed,
    erased_address, no_address). No person is named."""
    preview = campaign_services.campaign_preview(actor=api_actor(request), campaign=_campaign(campaign_id))
    return preview["counts"]


def _action(request, campaign_id: int, service) -> dict:
    try:
        campaign = service(actor=api_actor(request), campaign=_campaign(campaign_id))
    except campaign_services.CampaignStateError as exc:
        raise _state_error(exc) from exc
    return campaign_out(Campaign.objects.select_related("topic").get(pk=campaign.pk))


@campaigns_router.post(
    "/{campaign_id}/schedule",
    response={200: CampaignOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with("marketing.send_campaign"),
)
def schedule_campaign(request: HttpRequest, campaign_id: CampaignId, payload: ScheduleIn):
    """Send at a time in the future (a draft, or a scheduled campaign moved): the worker
    starts it when due and computes the audience then. Cancel stops it before."""
    campaign = _campaign(campaign_id)
    try:
        campaign = campaign_services.campaign_schedule(
            actor=api_actor(request), campaign=campaign, at=_aware(payload.scheduled_at)
        )
    except campaign_services.CampaignStateError as exc:
        raise _state_error(exc) from exc
    return campaign_out(Campaign.objects.select_related("topic").get(pk=campaign.pk))


@campaigns_router.post(
    "/{campaign_id}/send",
    response={200: CampaignOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with("marketing.send_campaign"),
)
def send_campaign(request: HttpRequest, campaign_id: CampaignId):
    """Send now, in the background: the audience is computed when the worker starts."""
    return _action(request, campaign_id, campaign_services.campaign_send)


@campaigns_router.post(
    "/{campaign_id}/pause",
    response={200: CampaignOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with("marketing.send_campaign"),
)
def pause_campaign(request: HttpRequest, campaign_id: CampaignId):
    return _action(request, campaign_id, campaign_services.campaign_pause)


@campaigns_router.post(
    "/{campaign_id}/resume",
    response={200: CampaignOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with("marketing.send_campaign"),
)
def resume_campaign(request: HttpRequest, campaign_id: CampaignId):
    return _action(request, campaign_id, campaign_services.campaign_resume)


@campaigns_router.post(
    "/{campaign_id}/cancel",
    response={200: CampaignOut, **error_responses(401, 403, 404, 409, 422)},
    auth=staff_with("marketing.send_campaign"),
)
def cancel_campaign(request: HttpRequest, campaign_id: CampaignId):
    return _action(request, campaign_id, campaign_services.campaign_cancel)
