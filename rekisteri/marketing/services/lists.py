"""Newsletter lists: subscribing (double opt-in from the public form), unsubscribing, the
suppression list and stopping all marketing.

The public form never tells whether an address is in the register: a sign-up is kept apart
(under its own key) until the owner of the address confirms it by POST from the link mailed
to them, and only then is the register looked at.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.encryption.services import address_hash
from rekisteri.errors import ServiceError, from_lib_error
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import create_keys, indexer, key_destroy
from rekisteri.lib.blind_index import address_hash_entry
from rekisteri.lib.normalize import NormalizationError, normalize_email
from rekisteri.marketing.models import Channel, Consent, Signup, Subscription, Suppression, Topic
from rekisteri.marketing.services.consents import (
    MARKETING_PURPOSE,
    consent_give,
    consents_withdraw_all,
    current_wording,
    topic_get,
)
from rekisteri.outbox.services import mail_enqueue, render_mail
from rekisteri.people.models import Person
from rekisteri.people.restriction import MarketingObjected, ProcessingRestricted

SIGNUP_HOURS = 48


class SignupInvalid(Exception):
    """Unknown, used or expired confirmation link (which one is nobody's business)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _subscribe(*, person: Person, topic: Topic, channel: str) -> tuple[Subscription, bool]:
    subscription = Subscription.objects.select_for_update().filter(person=person, topic=topic).first()
    if subscription is None:
        return Subscription.objects.create(person=person, topic=topic, channel=channel), True
    if subscription.state == Subscription.State.ACTIVE:
        return subscription, False
    subscription.state = Subscription.State.ACTIVE
    subscription.channel = channel
    subscription.subscribed_at = timezone.now()
    subscription.unsubscribed_at = None
    subscription.unsubscribed_channel = ""
    subscription.save()
    return subscription, True


def subscription_add(
    *, actor: Actor, person: Person, topic: Topic | str, channel: str = Channel.STAFF
) -> Subscription:
    """Put a person on a list (staff or the API). A subscription alone sends nothing: the
    audience also needs an opt-in consent or, for B2B opt-out, role relevance."""
    from rekisteri.people.restriction import restriction_check

    restriction_check(person)
    topic = topic_get(topic)
    if topic.kind != Topic.Kind.LIST:
        raise ServiceError(_("Not a newsletter list."), code="newsletter_list.not_a_list", field="list")
    with transaction.atomic():
        subscription, changed = _subscribe(person=person, topic=topic, channel=channel)
        if changed:
            audit_record(
                actor=actor,
                action="subscribe",
                object_type="subscription",
                object_ids=[subscription.pk],
                person_ids=[person.pk],
                purpose=MARKETING_PURPOSE,
                detail={"list": topic.slug, "channel": channel},
            )
    return subscription


def subscription_remove(*, actor: Actor, subscription: Subscription, channel: str) -> Subscription:
    """Unsubscribe from one list now; the consent to its topic is withdrawn with it (Art. 7(3))."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update().select_related("topic").get(pk=subscription.pk)
        )
        if subscription.state != Subscription.State.UNSUBSCRIBED:
            subscription.state = Subscription.State.UNSUBSCRIBED
            subscription.unsubscribed_at = timezone.now()
            subscription.unsubscribed_channel = channel
            subscription.save(update_fields=["state", "unsubscribed_at", "unsubscribed_channel"])
            audit_record(
                actor=actor,
                action="unsubscribe",
                object_type="subscription",
                object_ids=[subscription.pk],
                person_ids=[subscription.person_id],
                purpose=MARKETING_PURPOSE,
                detail={"list": subscription.topic.slug, "channel": channel},
            )
        from rekisteri.marketing.services.consents import consent_withdraw

        for consent in Consent.objects.filter(
            person_id=subscription.person_id, topic=subscription.topic, withdrawn_at=None
        ):
            consent_withdraw(actor=actor, consent=consent, channel=channel)
    return subscription


def unsubscribe_all(*, actor: Actor, person: Person, channel: str) -> int:
    """Leave every list, withdraw every newsletter consent and put the address on the
    suppression list, so no opt-out campaign reaches it again. Returns the lists left."""
    count = 0
    with transaction.atomic():
        for subscription in Subscription.objects.filter(person=person, state=Subscription.State.ACTIVE):
            subscription_remove(actor=actor, subscription=subscription, channel=channel)
            count += 1
        consents_withdraw_all(actor=actor, person_id=person.pk, channel=channel, topic_kind=Topic.Kind.LIST)
        suppression_add(actor=actor, email=person.email, person_id=person.pk)
    return count


def suppression_add(*, actor: Actor, email: str, person_id: Any = None) -> bool:
    """Add an address (as its keyed hash) to the suppression list; False when it was there."""
    try:
        digest = address_hash(email)
    except NormalizationError:
        digest = ""
    if not digest:
        return False
    with transaction.atomic():
        entry = address_hash_entry(digest, indexer().bits)
        row, created = Suppression.objects.get_or_create(
            email_hash=digest, defaults={"term": entry, "reason": Suppression.UNSUBSCRIBED_ALL}
        )
        if not created and row.reason != Suppression.UNSUBSCRIBED_ALL:
            # An erased person's address, now unsubscribed from everything: out of every audience.
            Suppression.objects.filter(pk=row.pk).update(reason=Suppression.UNSUBSCRIBED_ALL)
            created = True
        if created:
            audit_record(
                actor=actor,
                action="suppress",
                object_type="suppression",
                person_ids=[person_id] if person_id else [],
                purpose=MARKETING_PURPOSE,
            )
    return created


def stop_all_marketing(*, actor: Actor, person: Person, channel: str) -> None:
    """'Stop all marketing' (section 8): an objection to direct marketing (Art. 21(3)) on top
    of leaving every list. Never refused: stopping is always allowed."""
    from rekisteri.rights.fulfilment.actions import marketing_objection_apply

    with transaction.atomic():
        unsubscribe_all(actor=actor, person=person, channel=channel)
        consents_withdraw_all(actor=actor, person_id=person.pk, channel=channel)
        marketing_objection_apply(actor=actor, person=person)


# --- Double opt-in from the public form ---------------------------------------------------


def signup_request(
    *,
    topic: Topic | str,
    email: str,
    first_name: str,
    last_name: str,
    language: str = "fi",
    client: str = "",
    form: str = "public_subscribe",
) -> None:
    """Keep a sign-up and mail its confirmation link to the address (in one transaction).

    The same outcome whoever owns the address: nothing of the register is read here, but for
    the outbox's Art. 14 check (a person of the register with this address who is still owed
    the information gets it by mail just before; the answer to the form does not change).
    """
    topic = topic_get(topic)
    if topic.kind != Topic.Kind.LIST:
        raise ServiceError(_("Not a newsletter list."), code="newsletter_list.not_a_list", field="list")
    try:
        address = normalize_email(email)
    except NormalizationError as exc:
        raise ValidationError({"email": from_lib_error(exc)}) from None
    if not first_name.strip() or not last_name.strip():
        raise ServiceError(
            _("Give your first and last name."), code="subscription.name_required", field="name"
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    signup_id = Signup._meta.pk.default()
    create_keys([signup_id])
    wording = current_wording(topic)
    evidence = {"form": form, "client_address": client, "requested_at": now.isoformat(), "language": language}
    with transaction.atomic():
        Signup(
            id=signup_id,
            topic=topic,
            wording=wording,
            email=address,
            first_name=first_name.strip()[:100],
            last_name=last_name.strip()[:100],
            evidence=json.dumps(evidence, sort_keys=True),
            language=language,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=SIGNUP_HOURS),
        ).save(force_insert=True)
        link = settings.PUBLIC_BASE_URL + reverse("newsletter:confirm", args=[token])
        context = {
            "topic": topic,
            "link": link,
            "hours": SIGNUP_HOURS,
            "wording": wording,
            "language": language,
        }
        subject, text, html = render_mail("marketing/mail/confirm", context, language)
        mail_enqueue(
            to=address,
            subject=subject,
            text=text,
            html=html,
            kind="newsletter_confirm",
            language=language,
            purpose=MARKETING_PURPOSE,
            about=("signup", signup_id),
            # The sign-up is a request of someone who may not be in the register: its mail
            # keeps the address only until it has gone.
            destroy_after_sending=True,
        )


def signup_pending(token: str) -> Signup:
    signup = Signup.objects.filter(token_hash=token_hash(token)).select_related("topic").first()
    if signup is None or signup.confirmed_at is not None or signup.expires_at < timezone.now():
        raise SignupInvalid()
    return signup


def signup_confirm(*, token: str, client: str = "") -> Topic:
    """The owner of the address confirmed (by POST): subscribe them with a consent whose
    evidence is the form, the addresses and times of both steps; returns the list.

    A person who objected to direct marketing or is restricted is not subscribed (the page
    they see is the same: the register's state is not told to whoever holds a link).
    """
    from rekisteri.people.selectors import person_ids_matching_email
    from rekisteri.people.services import person_create
    from rekisteri.privacy.services import source_add

    actor = Actor.system("portal", origin="portal")
    with transaction.atomic():
        signup = Signup.objects.select_for_update().filter(token_hash=token_hash(token)).first()
        if signup is None or signup.confirmed_at is not None or signup.expires_at < timezone.now():
            raise SignupInvalid()
        topic = signup.topic
        evidence = json.loads(signup.evidence or "{}")
        evidence.update({"confirmed_at": timezone.now().isoformat(), "confirm_client_address": client})
        ids = person_ids_matching_email(signup.email)
        person = Person.objects.filter(pk__in=ids).order_by("created_at").first() if ids else None
        if person is None:
            person = person_create(
                actor=actor,
                first_name=signup.first_name,
                last_name=signup.last_name,
                email=signup.email,
                allow_duplicate=True,
            )
            source_add(actor=actor, person=person, kind="data_subject", detail="Uutiskirjeen tilauslomake")
        try:
            if not Consent.objects.filter(person=person, topic=topic, withdrawn_at=None).exists():
                consent_give(
                    actor=actor,
                    person=person,
                    topic=topic,
                    channel=Channel.WEB_FORM,
                    wording_version=signup.wording.version,
                    evidence=evidence,
                )
            _subscribe_confirmed(actor, person, topic)
            _suppression_undo(address_hash(signup.email))
        except (MarketingObjected, ProcessingRestricted):
            pass
        Signup.objects.filter(pk=signup.pk).update(
            confirmed_at=timezone.now(), email=None, first_name=None, last_name=None, evidence=None
        )
    key_destroy(person_id=signup.pk, reason="signup_confirmed")
    return topic


def _suppression_undo(digest: str) -> None:
    """A fresh opt-in undoes an earlier "unsubscribe from everything" of the address; an
    erased person's address stays out of opt-out audiences (the opt-in is for this list)."""
    from rekisteri.keystore.models import ErasureTombstone

    rows = Suppression.objects.filter(email_hash=digest, reason=Suppression.UNSUBSCRIBED_ALL)
    if not rows.exists():
        return
    if ErasureTombstone.objects.using(KEYSTORE_DB).filter(email_hash=digest).exists():
        rows.update(reason=Suppression.ERASED)
    else:
        rows.delete()


def _subscribe_confirmed(actor: Actor, person: Person, topic: Topic) -> None:
    subscription, changed = _subscribe(person=person, topic=topic, channel=Channel.WEB_FORM)
    if changed:
        audit_record(
            actor=actor,
            action="subscribe",
            object_type="subscription",
            object_ids=[subscription.pk],
            person_ids=[person.pk],
            purpose=MARKETING_PURPOSE,
            detail={"list": topic.slug, "channel": "web_form"},
        )


def signups_expire() -> int:
    """Destroy the values of sign-ups past their link's lifetime (their own keys)."""
    ids = list(
        Signup.objects.filter(
            expires_at__lt=timezone.now(), confirmed_at=None, email__isnull=False
        ).values_list("pk", flat=True)[:1000]
    )
    for signup_id in ids:
        key_destroy(person_id=signup_id, reason="signup_expired")
        Signup.objects.filter(pk=signup_id).update(email=None, first_name=None, last_name=None, evidence=None)
    return len(ids)
