"""Campaigns: compose, preview, test-send, schedule, send, pause, resume, cancel.

Sending itself is background work (rekisteri.marketing.sending, run by the worker): these
services only decide, audit and hand over.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.errors import ServiceError, choose_one, required, too_long
from rekisteri.marketing.audience import audience_compute
from rekisteri.marketing.compose import compose, list_headers
from rekisteri.marketing.models import Basis, Campaign, Topic
from rekisteri.marketing.services.consents import MARKETING_PURPOSE, topic_get
from rekisteri.notice.first_communication import information_carried_withdraw
from rekisteri.outbox.services import mail_enqueue

Status = Campaign.Status
MAX_SUBJECT = 200
MAX_BODY = 100_000


class CampaignStateError(ValidationError):
    """The campaign is not in a state that allows this (API: 409)."""


def _validate(subject: str, body_markdown: str, basis: str, language: str) -> dict:
    errors = {}
    if not subject.strip():
        errors["subject"] = required()
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = too_long(MAX_SUBJECT)
    if not body_markdown.strip():
        errors["body_markdown"] = required()
    elif len(body_markdown) > MAX_BODY:
        errors["body_markdown"] = too_long(MAX_BODY)
    if basis not in Basis.values:
        errors["basis"] = choose_one(Basis.values)
    if language not in ("fi", "en"):
        errors["language"] = ServiceError(_("Choose fi or en."), code="field.language")
    return errors


def campaign_create(
    *,
    actor: Actor,
    topic: Topic | str,
    subject: str,
    body_markdown: str,
    basis: str = Basis.OPT_IN,
    language: str = "fi",
    rate_limit: int = 0,
) -> Campaign:
    try:
        topic = topic_get(topic)
    except ValidationError:
        raise ServiceError(_("No such list."), code="newsletter_list.unknown", field="list") from None
    errors = _validate(subject, body_markdown, basis, language)
    if topic.kind != Topic.Kind.LIST:
        errors["list"] = ServiceError(_("Not a newsletter list."), code="newsletter_list.not_a_list")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            topic=topic,
            subject=subject.strip(),
            body_markdown=body_markdown,
            basis=basis,
            language=language,
            rate_limit=rate_limit,
            created_by=actor.recorded_user,
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="campaign",
            object_ids=[campaign.pk],
            purpose=MARKETING_PURPOSE,
            detail={"list": topic.slug, "basis": basis},
        )
    return campaign


def campaign_update(
    *, actor: Actor, campaign: Campaign, subject: str, body_markdown: str, basis: str
) -> Campaign:
    """Change a draft (or a scheduled campaign not yet started)."""
    errors = _validate(subject, body_markdown, basis, campaign.language)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status not in (Status.DRAFT, Status.SCHEDULED):
            raise CampaignStateError(
                {"status": "Only a campaign not yet sent can be changed."}, code="conflict"
            )
        campaign.subject, campaign.body_markdown, campaign.basis = subject.strip(), body_markdown, basis
        campaign.save(update_fields=["subject", "body_markdown", "basis"])
        audit_record(actor=actor, action="change", object_type="campaign", object_ids=[campaign.pk])
    return campaign


def campaign_preview(*, actor: Actor, campaign: Campaign) -> dict:
    """The message as rendered and the audience now: its size and the count each reason
    excludes (no person is named)."""
    audience = audience_compute(topic=campaign.topic, basis=campaign.basis)
    message = compose(campaign)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="view",
            object_type="campaign",
            object_ids=[campaign.pk],
            purpose=MARKETING_PURPOSE,
            detail={"audience": audience.count},
        )
    return {"message": message, "counts": audience.counts()}


def campaign_test_send(*, actor: Actor, campaign: Campaign, addresses: list[str]) -> int:
    """Send the campaign to staff addresses, marked as a test, through the outbox."""
    if not addresses:
        raise ServiceError(
            _("No staff address to send the test to."), code="campaign.no_test_address", field="to"
        )
    message = compose(campaign)
    text, html = message.personalise(token="test", track=f"t{campaign.pk}")
    with transaction.atomic():
        for address in addresses:
            mail_enqueue(
                to=address,
                subject=f"[TEST] {message.subject}",
                text=text,
                html=html,
                kind="campaign_test",
                language=campaign.language,
                purpose=MARKETING_PURPOSE,
                about=("campaign_test", campaign.pk),
                headers=list_headers("test"),
                created_by=actor.recorded_user,
                staff_only=True,  # a test to staff addresses, no communication with a person
            )
        audit_record(
            actor=actor,
            action="send",
            object_type="campaign",
            object_ids=[campaign.pk],
            purpose=MARKETING_PURPOSE,
            detail={"test": True, "recipients": len(addresses)},
        )
    return len(addresses)


def _transition(actor: Actor, campaign: Campaign, allowed: tuple[str, ...], to: str, **fields) -> Campaign:
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status not in allowed:
            raise CampaignStateError(
                {"status": f"Not possible while the campaign is {campaign.status}."}, code="conflict"
            )
        before = campaign.status
        campaign.status = to
        for name, value in fields.items():
            setattr(campaign, name, value)
        campaign.save(update_fields=["status", *fields])
        audit_record(
            actor=actor,
            action="campaign_state",
            object_type="campaign",
            object_ids=[campaign.pk],
            purpose=MARKETING_PURPOSE,
            detail={"from": before, "to": to},
        )
    return campaign


def campaign_schedule(*, actor: Actor, campaign: Campaign, at: datetime) -> Campaign:
    if at <= timezone.now():
        raise ServiceError(
            _("Give a time in the future."), code="campaign.schedule_in_past", field="scheduled_at"
        )
    return _transition(actor, campaign, (Status.DRAFT, Status.SCHEDULED), Status.SCHEDULED, scheduled_at=at)


def campaign_send(*, actor: Actor, campaign: Campaign, enqueue: bool = True) -> Campaign:
    """Start sending now: the worker computes the audience and sends in the background
    (`enqueue=False`: the caller sends it itself, `campaign send --wait`)."""
    from rekisteri.marketing.tasks import send_campaign

    campaign = _transition(
        actor, campaign, (Status.DRAFT, Status.SCHEDULED), Status.SENDING, scheduled_at=None
    )
    if enqueue:
        send_campaign.enqueue(campaign.pk)
    return campaign


def campaign_pause(*, actor: Actor, campaign: Campaign) -> Campaign:
    return _transition(actor, campaign, (Status.SENDING, Status.SCHEDULED), Status.PAUSED)


def campaign_resume(*, actor: Actor, campaign: Campaign, enqueue: bool = True) -> Campaign:
    from rekisteri.marketing.tasks import send_campaign

    campaign = _transition(actor, campaign, (Status.PAUSED,), Status.SENDING)
    if enqueue:
        send_campaign.enqueue(campaign.pk)
    return campaign


def campaign_cancel(*, actor: Actor, campaign: Campaign) -> Campaign:
    """Stop for good: mails not yet handed to the server are cancelled."""
    from rekisteri.outbox.bulk import held_cancel

    with transaction.atomic():
        campaign = _transition(
            actor,
            campaign,
            (Status.DRAFT, Status.SCHEDULED, Status.SENDING, Status.PAUSED),
            Status.CANCELLED,
            finished_at=timezone.now(),
        )
        held_cancel(about=("campaign", campaign.pk))
        # Art. 14: a copy that will not go informs nobody (rekisteri.notice.first_communication).
        information_carried_withdraw(actor=actor, about=("campaign", campaign.pk))
    return campaign
