"""Reads of consent and e-marketing; each read of a person's data writes its audit event."""

from __future__ import annotations

from django.db import transaction

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.marketing.models import Consent, RoleRelevance, Subscription
from rekisteri.people.models import Person

MARKETING_PURPOSE = "direct_marketing"


def consents_of(*, actor: Actor, person: Person) -> list[Consent]:
    """A person's consents, current and withdrawn, newest first (the proof of Art. 7(1))."""
    consents = list(
        Consent.objects.filter(person=person).select_related("topic", "wording").order_by("-given_at")
    )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="view",
            object_type="consent",
            object_ids=[c.pk for c in consents],
            person_ids=[person.pk],
        )
    return consents


def marketing_overview(*, actor: Actor, person: Person) -> dict:
    """Consents, role relevance and subscriptions of a person, for the card; audited."""
    consents = list(
        Consent.objects.filter(person=person).select_related("topic", "wording").order_by("-given_at")
    )
    # Removed marks too: the history of the B2B basis (who marked, who removed and why).
    relevance = list(
        RoleRelevance.objects.filter(person=person)
        .select_related("topic", "marked_by", "removed_by")
        .order_by("removed_at", "-marked_at")
    )
    subscriptions = list(Subscription.objects.filter(person=person).select_related("topic"))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="view",
            object_type="consent",
            object_ids=[c.pk for c in consents],
            person_ids=[person.pk],
            detail={
                "relevance": [str(r.pk) for r in relevance],
                "subscriptions": len(subscriptions),
            },
        )
    return {
        "consents": consents,
        "relevance": relevance,
        "subscriptions": subscriptions,
        "suppression": suppression_of(person),
    }


def suppression_of(person: Person) -> str:
    """Why the person's address is kept out of campaigns, if it is: "suppressed" (they
    unsubscribed from everything) or "erased_address" (an erased person had it: no opt-out
    marketing until they opt in themselves); "" otherwise."""
    from rekisteri.encryption.services import address_hash
    from rekisteri.marketing.audience import erased_addresses_copy
    from rekisteri.marketing.models import Suppression

    digest = address_hash(person.email)
    if not digest:
        return ""
    erased_addresses_copy()
    reason = Suppression.objects.filter(email_hash=digest).values_list("reason", flat=True).first()
    if reason is None:
        return ""
    return "suppressed" if reason == Suppression.UNSUBSCRIBED_ALL else "erased_address"


def tracking_consented(person_id) -> bool:
    """Whether the person's consent to individual read tracking is in force (section 9)."""
    from rekisteri.marketing.models import TRACKING_TOPIC

    return Consent.objects.filter(person_id=person_id, topic__slug=TRACKING_TOPIC, withdrawn_at=None).exists()


def campaign_stats(campaign) -> dict:
    """Delivery counts from the outbox (the per-recipient log) and aggregate reads."""
    from django.db.models import Count, Sum

    from rekisteri.marketing.models import ReadCount
    from rekisteri.outbox.models import OutgoingMail

    states = dict(
        OutgoingMail.objects.filter(about_type="campaign", about_id=str(campaign.pk))
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    reads = dict(
        ReadCount.objects.filter(campaign=campaign)
        .values_list("kind")
        .annotate(n=Sum("count"))
        .values_list("kind", "n")
    )
    return {
        "deliveries": {
            "queued": states.get("queued", 0) + states.get("sending", 0),
            "sent": states.get("sent", 0),
            "failed": states.get("failed", 0),
            "cancelled": states.get("cancelled", 0),
        },
        "opens": reads.get("open", 0) or 0,
        "clicks": reads.get("click", 0) or 0,
    }


def relevance_of(*, actor: Actor, person: Person) -> list[RoleRelevance]:
    """A person's role-relevance marks, removed ones included, newest first; audited."""
    rows = list(
        RoleRelevance.objects.filter(person=person)
        .select_related("topic", "marked_by", "removed_by")
        .order_by("-marked_at")
    )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="view",
            object_type="role_relevance",
            object_ids=[r.pk for r in rows],
            person_ids=[person.pk],
        )
    return rows


def wordings_of(topic) -> list[tuple]:
    """A topic's wordings, newest version first, each with whether a consent names it."""
    from django.db.models import Exists, OuterRef

    from rekisteri.marketing.models import Wording

    rows = (
        Wording.objects.filter(topic=topic)
        .select_related("topic")
        .annotate(used=Exists(Consent.objects.filter(wording=OuterRef("pk"))))
        .order_by("-version")
    )
    return [(w, w.used) for w in rows]


# Up to this many hours a report is by the hour; a longer one by the (Helsinki) day.
HOURLY_REPORT_HOURS = 72


def campaign_report(campaign) -> dict:
    """Delivered, opened and clicked over time: hourly buckets for the first three days of a
    campaign's life, daily (local days) beyond. Counts only, no person."""
    from collections import defaultdict
    from datetime import UTC, timedelta

    from django.db.models import Count, Sum
    from django.db.models.functions import TruncHour
    from django.utils import timezone

    from rekisteri.marketing.models import ReadCount
    from rekisteri.outbox.models import OutgoingMail

    hourly: dict = defaultdict(lambda: {"delivered": 0, "opened": 0, "clicked": 0})
    delivered = (
        OutgoingMail.objects.filter(about_type="campaign", about_id=str(campaign.pk), state="sent")
        .exclude(sent_at=None)
        .annotate(hour=TruncHour("sent_at", tzinfo=UTC))
        .values("hour")
        .annotate(n=Count("id"))
    )
    for row in delivered:
        hourly[_utc_hour(row["hour"])]["delivered"] += row["n"]
    for row in ReadCount.objects.filter(campaign=campaign).values("hour", "kind").annotate(n=Sum("count")):
        key = "opened" if row["kind"] == ReadCount.Kind.OPEN else "clicked"
        hourly[_utc_hour(row["hour"])][key] += row["n"] or 0
    if not hourly:
        return {"bucket": "hour", "series": []}
    first, last = min(hourly), max(hourly)
    if last - first <= timedelta(hours=HOURLY_REPORT_HOURS):
        series, step, start = [], timedelta(hours=1), first
        while start <= last:  # empty hours too: a chart's x axis is time
            series.append({"start": start, **hourly.get(start, {"delivered": 0, "opened": 0, "clicked": 0})})
            start += step
        return {"bucket": "hour", "series": series}
    daily: dict = defaultdict(lambda: {"delivered": 0, "opened": 0, "clicked": 0})
    for hour, counts in hourly.items():
        day = timezone.localtime(hour).replace(hour=0, minute=0, second=0, microsecond=0)
        for key, n in counts.items():
            daily[day][key] += n
    series = []
    day = min(daily)
    while day <= max(daily):
        series.append({"start": day, **daily.get(day, {"delivered": 0, "opened": 0, "clicked": 0})})
        day = timezone.localtime(day + timedelta(hours=26)).replace(hour=0)  # across DST changes
    return {"bucket": "day", "series": series}


def _utc_hour(value):
    from datetime import UTC

    from django.utils import timezone

    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


# The newest individual reads the card looks at: enough for a year of weekly newsletters.
ENGAGEMENT_EVENTS = 500


def engagement_of(*, actor: Actor, person: Person) -> dict:
    """A person's newsletter engagement for the card: per campaign sent to them, whether
    their opens and clicks were tracked individually (only with their consent, section 9),
    and if so how many and when last. Audited as a read of tracking data."""
    from rekisteri.contacts.models import TrackingEvent
    from rekisteri.marketing.models import Delivery

    deliveries = list(
        Delivery.objects.filter(person=person).select_related("campaign").order_by("-created_at")[:50]
    )
    events = list(
        TrackingEvent.objects.filter(
            person=person, kind__in=("newsletter_open", "newsletter_click")
        ).order_by("-occurred_at")[:ENGAGEMENT_EVENTS]
    )
    reads: dict[str, dict] = {}
    for event in events:  # the reference is encrypted: grouped here, not in SQL
        counts = reads.setdefault(event.reference or "", {"opens": 0, "clicks": 0, "last": None})
        counts["opens" if event.kind == "newsletter_open" else "clicks"] += 1
        counts["last"] = max(filter(None, (counts["last"], event.occurred_at)))
    rows = []
    for delivery in deliveries:
        counts = reads.get(f"campaign:{delivery.campaign_id}", {"opens": 0, "clicks": 0, "last": None})
        rows.append(
            {
                "campaign": delivery.campaign,
                "sent_at": delivery.created_at,
                "tracked": delivery.tracking_allowed,
                **counts,
            }
        )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="view",
            object_type="tracking_event",
            object_ids=[e.pk for e in events],
            person_ids=[person.pk],
            detail={"engagement": True, "campaigns": len(rows)},
        )
    return {
        "rows": rows,
        "consented": tracking_consented(person.pk),
        "opens": sum(r["opens"] for r in rows if r["tracked"]),
        "clicks": sum(r["clicks"] for r in rows if r["tracked"]),
    }
