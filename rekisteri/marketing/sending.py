"""Sending a campaign: the background work behind campaign_send (run by `rekisteri worker`
or `rekisteri campaign send ID --wait`).

1. Claim the campaign (a lease, renewed every batch; a killed worker's claim runs out and
   the next worker resumes).
2. Compute the audience now (never a stored list) and record its counts.
3. In batches: for recipients without a delivery row, decrypt their addresses, write their
   mails into the outbox (held for this sender, already claimed by it when it talks SMTP
   itself) and their delivery rows in one transaction; unique (campaign, person) rows make a
   resumed send skip everyone already queued. Then hand the batch to the mail server through
   the outbox's bulk path, at the campaign's rate, over one connection, from the mails as
   made (the message was rendered once; each copy only has its tokens put in).
4. Stop between batches when paused or cancelled; mark the campaign sent when done.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.db.bulk_insert import insert_rows, prepared_value
from rekisteri.lib.ids import uuid7
from rekisteri.marketing.audience import addresses_of, audience_compute
from rekisteri.marketing.compose import compose, list_headers
from rekisteri.marketing.models import Campaign, Delivery
from rekisteri.notice.first_communication import CarriedInformation, information_record_carried
from rekisteri.outbox.bulk import BulkMail, HeldSender, held_pending, mail_enqueue_held

logger = logging.getLogger("rekisteri.marketing")
BATCH = 500
ABOUT = "campaign"
PURPOSE = "direct_marketing"


@dataclass
class SendReport:
    queued: int = 0
    sent: int = 0
    failed: int = 0
    finished: bool = False
    claimed: bool = True


def _lease() -> timedelta:
    return timedelta(seconds=settings.MARKETING_SEND_LEASE_SECONDS)


def _claim(campaign_id: int) -> Campaign | None:
    """Take the campaign for this worker unless another one holds it."""
    now = timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.status != Campaign.Status.SENDING:
            return None
        if campaign.lease_until is not None and campaign.lease_until > now:
            return None
        campaign.lease_until = now + _lease()
        if campaign.started_at is None:
            campaign.started_at = now
        campaign.save(update_fields=["lease_until", "started_at"])
    return campaign


def _renew(campaign: Campaign) -> str:
    """Renew the lease; returns the status (staff may have paused or cancelled meanwhile)."""
    now = timezone.now()
    with transaction.atomic():
        status = Campaign.objects.select_for_update().values_list("status", flat=True).get(pk=campaign.pk)
        Campaign.objects.filter(pk=campaign.pk).update(lease_until=now + _lease())
    return status


def _release(campaign: Campaign, *, finished: bool) -> None:
    fields = {"lease_until": None}
    if finished:
        fields.update(status=Campaign.Status.SENT, finished_at=timezone.now())
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(**fields)
    if not finished:
        Campaign.objects.filter(pk=campaign.pk).update(lease_until=None)


def _token() -> tuple[str, str]:
    token = secrets.token_urlsafe(24)
    return token, hashlib.sha256(token.encode()).hexdigest()


def _queue_batch(campaign: Campaign, message, recipients, actor: Actor, *, claimed_until=None) -> list:
    done = set(
        Delivery.objects.filter(
            campaign=campaign, person_id__in=[r.person_id for r in recipients]
        ).values_list("person_id", flat=True)
    )
    todo = [r for r in recipients if r.person_id not in done]
    # Their addresses, decrypted now (the audience holds ids only); anyone erased or left
    # without an address since the audience was computed gets nothing.
    addresses = dict(addresses_of([r.person_id for r in todo]))
    todo = [r for r in todo if r.person_id in addresses]
    if not todo:
        return []
    # Art. 14(3)(b): those of the batch still owed the information get it in their copy, first
    # (rekisteri.notice.first_communication); one query for the batch.
    owed = CarriedInformation.of([r.person_id for r in todo], language=campaign.language)
    mails, deliveries = [], []
    for recipient in todo:
        token, digest = _token()
        # Section 9 and the CNIL position: a person's own tracking id only with their consent;
        # everyone else's opens and clicks count for the campaign alone.
        track = token if recipient.tracking_allowed else f"c{campaign.pk}"
        text, html = message.personalise(token=token, track=track)
        if owed:
            text, html = owed.carry(recipient.person_id, text, html)
        mails.append(
            BulkMail(
                to=addresses[recipient.person_id],
                subject=message.subject,
                text=text,
                html=html,
                headers=list_headers(token),
                person_id=recipient.person_id,
            )
        )
        deliveries.append((recipient.person_id, digest, recipient.tracking_allowed))
    with transaction.atomic():
        held = mail_enqueue_held(
            mails,
            kind="campaign",
            about=(ABOUT, campaign.pk),
            purpose=PURPOSE,
            language=campaign.language,
            claimed_until=claimed_until,
        )
        _deliveries_insert(campaign, deliveries, [mail.id for mail in held])
        if owed:
            information_record_carried(
                actor=actor,
                carried=owed,
                mails={m.mail.person_id: m.id for m in held},
                about=(ABOUT, campaign.pk),
            )
        # A read of the recipients' addresses for direct marketing: one event per batch.
        audit_record(
            actor=actor,
            action="send",
            object_type="campaign",
            object_ids=[campaign.pk],
            person_ids=[r.person_id for r in todo],
            purpose=PURPOSE,
            detail={"queued": len(todo)},
        )
    return held


_DELIVERY_FIELDS = ("id", "campaign", "person", "mail", "token_hash", "tracking_allowed", "created_at")


def _deliveries_insert(campaign: Campaign, deliveries: list[tuple], mail_ids: list) -> None:
    """The delivery log's rows of a batch, below the ORM as the outbox's mails are (building
    a model instance a row cost more than storing it)."""
    connection = db_connection
    fields = [Delivery._meta.get_field(name) for name in _DELIVERY_FIELDS]
    prepare = prepared_value(connection)
    now = timezone.now()
    rows = [
        [
            prepare(field, value)
            for field, value in zip(
                fields,
                (uuid7(), campaign.pk, person_id, mail_id, digest, tracking, now),
                strict=True,
            )
        ]
        for (person_id, digest, tracking), mail_id in zip(deliveries, mail_ids, strict=True)
    ]
    insert_rows(connection, Delivery, [field.column for field in fields], rows)


def campaign_run(
    campaign_id: int, *, progress: Callable[[SendReport], None] | None = None, batch: int = BATCH
) -> SendReport:
    """Send (or resume sending) a campaign; returns what this run did."""
    report = SendReport()
    campaign = _claim(campaign_id)
    if campaign is None:
        report.claimed = False
        return report
    actor = Actor.system("task:campaign", origin="task")
    finished = False
    try:
        audience = audience_compute(topic=campaign.topic, basis=campaign.basis)
        if not campaign.audience_counts:
            Campaign.objects.filter(pk=campaign.pk).update(audience_counts=audience.counts())
        message = compose(campaign)
        rate = campaign.rate_limit or settings.MARKETING_RATE_LIMIT
        status = Campaign.Status.SENDING
        with HeldSender(about=(ABOUT, campaign.pk), rate=rate, lease=_lease()) as sender:
            keep_going = lambda: status == Campaign.Status.SENDING  # noqa: E731
            # Mails a killed worker had queued but not delivered go first.
            while held_pending(about=(ABOUT, campaign.pk)) and status == Campaign.Status.SENDING:
                result = sender.deliver_batch(limit=batch, keep_going=keep_going)
                report.sent += result.sent
                report.failed += result.failed
                status = _renew(campaign)
                if not result.claimed:
                    break
            for start in range(0, len(audience.recipients), batch):
                if status != Campaign.Status.SENDING:
                    break
                recipients = audience.recipients[start : start + batch]
                if sender.sends_directly:
                    # Queued already claimed and sent from memory: nothing is read back.
                    held = _queue_batch(
                        campaign, message, recipients, actor, claimed_until=timezone.now() + _lease()
                    )
                    result = sender.deliver_held(held, keep_going=keep_going)
                else:
                    held = _queue_batch(campaign, message, recipients, actor)
                    result = sender.deliver_batch(limit=batch, keep_going=keep_going)
                report.queued += len(held)
                report.sent += result.sent
                report.failed += result.failed
                status = _renew(campaign)
                if progress is not None:
                    progress(report)
            finished = status == Campaign.Status.SENDING and not held_pending(about=(ABOUT, campaign.pk))
    finally:
        _release(campaign, finished=finished)
    report.finished = finished
    logger.info(
        "Campaign %s: %d queued, %d sent, %d failed%s.",
        campaign.pk,
        report.queued,
        report.sent,
        report.failed,
        ", finished" if finished else "",
    )
    return report


def campaigns_due() -> list[int]:
    """Campaigns that need a worker: scheduled ones now due (started here), and sending ones
    whose worker's claim has run out (killed in the middle)."""
    now = timezone.now()
    due = list(
        Campaign.objects.filter(status=Campaign.Status.SCHEDULED, scheduled_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    if due:
        Campaign.objects.filter(pk__in=due, status=Campaign.Status.SCHEDULED).update(
            status=Campaign.Status.SENDING, scheduled_at=None
        )
    stale = Campaign.objects.filter(status=Campaign.Status.SENDING).exclude(lease_until__gt=now)
    return sorted(set(due) | set(stale.values_list("pk", flat=True)))
