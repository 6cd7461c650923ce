"""The preference centre: a person asks for a link by mail (single-use, as the portal's)
and on one page, in their language, changes their newsletter lists, consents and tracking
choice; every change is a consent record with the channel "preferences".
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.errors import from_lib_error
from rekisteri.keystore.services import create_keys, key_destroy
from rekisteri.lib.normalize import NormalizationError, normalize_email
from rekisteri.marketing.models import TRACKING_TOPIC, Channel, Consent, PreferenceLink, Subscription, Topic
from rekisteri.marketing.services.consents import MARKETING_PURPOSE, consent_give, consent_withdraw
from rekisteri.marketing.services.lists import SignupInvalid, subscription_remove, token_hash
from rekisteri.outbox.services import mail_enqueue, render_mail
from rekisteri.people.models import Person

LINK_HOURS = 24
SESSION_MINUTES = 30
ACTOR = Actor.system("portal", origin="portal")


def preference_link_request(*, email: str, language: str = "fi") -> None:
    """Mail a single-use link to the address; the same outcome for any address."""
    try:
        address = normalize_email(email)
    except NormalizationError as exc:
        raise ValidationError({"email": from_lib_error(exc)}) from None
    token = secrets.token_urlsafe(32)
    link_id = PreferenceLink._meta.pk.default()
    create_keys([link_id])
    now = timezone.now()
    with transaction.atomic():
        PreferenceLink(
            id=link_id,
            email=address,
            language=language,
            token_hash=token_hash(token),
            expires_at=now + timedelta(hours=LINK_HOURS),
            created_at=now,
        ).save(force_insert=True)
        link = settings.PUBLIC_BASE_URL + reverse("newsletter:preferences_open", args=[token])
        subject, text, html = render_mail(
            "marketing/mail/preferences", {"link": link, "hours": LINK_HOURS}, language
        )
        mail_enqueue(
            to=address,
            subject=subject,
            text=text,
            html=html,
            kind="newsletter_preferences",
            language=language,
            purpose=MARKETING_PURPOSE,
            about=("preference_link", link_id),
            destroy_after_sending=True,
        )


def preference_link_check(token: str) -> PreferenceLink:
    link = PreferenceLink.objects.filter(token_hash=token_hash(token)).first()
    if link is None or link.used_at is not None or link.expires_at < timezone.now():
        raise SignupInvalid()
    return link


def preference_link_use(token: str) -> str:
    """Use the link once (POST): returns a session token for the page (SESSION_MINUTES)."""
    session = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = PreferenceLink.objects.select_for_update().filter(token_hash=token_hash(token)).first()
        if link is None or link.used_at is not None or link.expires_at < timezone.now():
            raise SignupInvalid()
        link.used_at = timezone.now()
        link.session_hash = token_hash(session)
        link.session_expires_at = link.used_at + timedelta(minutes=SESSION_MINUTES)
        link.save(update_fields=["used_at", "session_hash", "session_expires_at"])
    return session


def preference_session(session: str) -> tuple[PreferenceLink, Person | None]:
    """The link of a session still open, and the person with its address (the oldest record
    with it), if any."""
    from rekisteri.people.selectors import person_ids_matching_email

    link = PreferenceLink.objects.filter(session_hash=token_hash(session)).first() if session else None
    if link is None or link.session_expires_at is None or link.session_expires_at < timezone.now():
        raise SignupInvalid()
    ids = person_ids_matching_email(link.email)
    person = Person.objects.filter(pk__in=ids).order_by("created_at").first() if ids else None
    return link, person


def preferences_of(person: Person) -> dict:
    """What the page shows: every list with the person's state, and the tracking choice."""
    subscribed = set(
        Subscription.objects.filter(person=person, state=Subscription.State.ACTIVE).values_list(
            "topic_id", flat=True
        )
    )
    consented = set(
        Consent.objects.filter(person=person, withdrawn_at=None).values_list("topic__slug", flat=True)
    )
    lists = [
        {"topic": topic, "subscribed": topic.pk in subscribed and topic.slug in consented}
        for topic in Topic.objects.filter(kind=Topic.Kind.LIST).order_by("slug")
    ]
    return {"lists": lists, "tracking": TRACKING_TOPIC in consented}


def preferences_save(*, person: Person, lists: set[str], tracking: bool, client: str = "") -> int:
    """Apply the page: each change is a consent record (or withdrawal) with its channel.
    Returns the number of changes."""
    from rekisteri.marketing.services.lists import _subscribe_confirmed

    evidence = {"form": "preference_centre", "client_address": client}
    current = preferences_of(person)
    changes = 0
    with transaction.atomic():
        for item in current["lists"]:
            topic, wanted = item["topic"], item["topic"].slug in lists
            if wanted and not item["subscribed"]:
                if not Consent.objects.filter(person=person, topic=topic, withdrawn_at=None).exists():
                    consent_give(
                        actor=ACTOR,
                        person=person,
                        topic=topic,
                        channel=Channel.PREFERENCES,
                        evidence=evidence,
                    )
                _subscribe_confirmed(ACTOR, person, topic)
                changes += 1
            elif not wanted and item["subscribed"]:
                subscription = Subscription.objects.get(person=person, topic=topic)
                subscription_remove(actor=ACTOR, subscription=subscription, channel=Channel.PREFERENCES)
                changes += 1
        if tracking and not current["tracking"]:
            consent_give(
                actor=ACTOR,
                person=person,
                topic=TRACKING_TOPIC,
                channel=Channel.PREFERENCES,
                evidence=evidence,
            )
            changes += 1
        elif not tracking and current["tracking"]:
            for consent in Consent.objects.filter(
                person=person, topic__slug=TRACKING_TOPIC, withdrawn_at=None
            ):
                consent_withdraw(actor=ACTOR, consent=consent, channel=Channel.PREFERENCES)
            changes += 1
    return changes


def preference_links_expire() -> int:
    """Destroy the addresses of links past their use (their own keys): housekeeping."""
    cutoff = timezone.now() - timedelta(hours=LINK_HOURS)
    ids = list(
        PreferenceLink.objects.filter(created_at__lt=cutoff, email__isnull=False).values_list("pk", flat=True)
    )
    for link_id in ids:
        key_destroy(person_id=link_id, reason="preference_link_expired")
        PreferenceLink.objects.filter(pk=link_id).update(email=None)
    return len(ids)
