"""Unsubscribing from a message's links, and read tracking (section 9).

Opens (a pixel) and clicks (a signed redirect) are recorded per person only where the
message carried the person's own tracking id, which it does only for persons who had
consented to tracking when it was sent, and only while that consent is still in force and
the person is neither restricted nor objected (CNIL 2026; Art. 18, 21). Everything else
becomes an hourly count of the campaign, with no person in it.
"""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.marketing.models import (
    Campaign,
    Channel,
    Delivery,
    ReadCount,
    Subscription,
)

PORTAL_ACTOR = Actor.system("portal", origin="portal")


def delivery_for_token(token: str) -> Delivery | None:
    if not token or len(token) > 100:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    return Delivery.objects.filter(token_hash=digest).select_related("campaign", "campaign__topic").first()


def unsubscribe_by_token(*, token: str, channel: str = Channel.UNSUBSCRIBE) -> bool:
    """Leave the list of the message's campaign at once (RFC 8058 one-click or the page).

    True when the token named a message (whether or not anything was still subscribed).
    """
    return unsubscribe_outcome(token=token, channel=channel) != "unknown"


def unsubscribe_outcome(*, token: str, channel: str, actor: Actor = PORTAL_ACTOR) -> str:
    """Leave the list of the message the token names: "unsubscribed" (done now), "already"
    (nothing left to end: unsubscribed before, or the person erased) or "unknown" (no such
    message). Repeating it changes nothing."""
    from rekisteri.marketing.services.lists import subscription_remove

    delivery = delivery_for_token(token)
    if delivery is None:
        return "unknown"
    if delivery.person_id is None:  # erased since: nothing left to unsubscribe
        return "already"
    subscription = Subscription.objects.filter(
        person_id=delivery.person_id, topic=delivery.campaign.topic
    ).first()
    if subscription is not None:
        if subscription.state == Subscription.State.UNSUBSCRIBED:
            return "already"
        subscription_remove(actor=actor, subscription=subscription, channel=channel)
        return "unsubscribed"
    # Not on the list (a B2B opt-out message): the objection to the topic is recorded as an
    # unsubscribed row, so no later campaign on it reaches them.
    with transaction.atomic():
        _, created = Subscription.objects.get_or_create(
            person_id=delivery.person_id,
            topic=delivery.campaign.topic,
            defaults={
                "channel": channel,
                "state": Subscription.State.UNSUBSCRIBED,
                "unsubscribed_at": timezone.now(),
                "unsubscribed_channel": channel,
            },
        )
    return "unsubscribed" if created else "already"


def _count(campaign_id: int, kind: str) -> None:
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        updated = ReadCount.objects.filter(campaign_id=campaign_id, kind=kind, hour=hour).update(
            count=F("count") + 1
        )
        if not updated:
            _, created = ReadCount.objects.get_or_create(
                campaign_id=campaign_id, kind=kind, hour=hour, defaults={"count": 1}
            )
            if not created:
                ReadCount.objects.filter(campaign_id=campaign_id, kind=kind, hour=hour).update(
                    count=F("count") + 1
                )


def read_record(*, track: str, kind: str) -> None:
    """Record an open or a click: per person where allowed (see the module), else a count.

    `track` is a recipient's token or "c<campaign id>". Never raises for a bad id.
    """
    from rekisteri.contacts.services import tracking_event_record
    from rekisteri.people.restriction import MarketingObjected, ProcessingRestricted

    if track.startswith("c") and track[1:].isdigit():
        if Campaign.objects.filter(pk=int(track[1:])).exists():
            _count(int(track[1:]), kind)
        return
    delivery = delivery_for_token(track)
    if delivery is None:
        return
    _count(delivery.campaign_id, kind)
    if not delivery.tracking_allowed or delivery.person_id is None:
        return
    # A consent withdrawn since the message went: contacts refuses it, the count is all.
    from rekisteri.contacts.services import TrackingNotConsented

    person = delivery.person
    try:
        tracking_event_record(
            actor=Actor.system("task:campaign", origin="portal"),
            person=person,
            kind="newsletter_open" if kind == ReadCount.Kind.OPEN else "newsletter_click",
            reference=f"campaign:{delivery.campaign_id}",
        )
    except (MarketingObjected, ProcessingRestricted, TrackingNotConsented):
        pass
