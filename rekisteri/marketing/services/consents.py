"""Consents with their proof, wording versions, B2B role relevance and topics (section 3).

Art. 7(1): the controller must be able to show that the person consented, to what wording,
when and how; Art. 7(3): withdrawing is as easy as giving and ends the consent from then
on. A consent is therefore never overwritten: giving it again after a withdrawal makes a
new record beside the old one.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.errors import ServiceError, choose_one, required, too_long
from rekisteri.marketing.models import TRACKING_TOPIC, Channel, Consent, RoleRelevance, Topic, Wording
from rekisteri.people.models import Person
from rekisteri.people.restriction import marketing_check, restriction_check
from rekisteri.privacy.models import LegalBasis, ProcessingBasis

MARKETING_PURPOSE = "direct_marketing"
# Channels a consent can be given through (the others only end one).
GIVING_CHANNELS = (
    Channel.WEB_FORM,
    Channel.EMAIL,
    Channel.PHONE,
    Channel.PAPER,
    Channel.EVENT,
    Channel.PREFERENCES,
)
VERBAL_CHANNELS = (Channel.PHONE, Channel.EVENT)


class ConsentInForce(ValidationError):
    """A consent to the topic is already in force: there is nothing to give again."""


def topic_get(topic: Topic | str) -> Topic:
    if isinstance(topic, Topic):
        return topic
    found = Topic.objects.filter(slug=str(topic)).first()
    if found is None:
        raise ServiceError(_("No such topic."), code="topic.unknown", field="topic")
    return found


def topic_create(*, actor: Actor, slug: str, name_fi: str, name_en: str) -> Topic:
    """A new newsletter list (topic), with the first version of its consent wording."""
    slug = (slug or "").strip()
    errors = {}
    if not slug:
        errors["slug"] = required()
    elif slug == TRACKING_TOPIC or Topic.objects.filter(slug=slug).exists():
        errors["slug"] = ServiceError(_("A list with this slug exists already."), code="topic.slug_taken")
    for name, value in (("name_fi", name_fi), ("name_en", name_en)):
        if not (value or "").strip():
            errors[name] = required()
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        topic = Topic.objects.create(slug=slug, name_fi=name_fi.strip(), name_en=name_en.strip())
        Wording.objects.create(
            topic=topic,
            version=1,
            text_fi=f"Haluan saada uutiskirjeen {topic.name_fi} sähköpostiini. "
            "Voin perua tilauksen milloin tahansa.",
            text_en=f"I want to receive the newsletter {topic.name_en} by e-mail. "
            "I can unsubscribe at any time.",
        )
        audit_record(actor=actor, action="create", object_type="marketing_topic", object_ids=[topic.pk])
    return topic


def wording_add(*, actor: Actor, topic: Topic, text_fi: str, text_en: str) -> Wording:
    """A new version of a topic's consent wording; earlier versions stay as they were."""
    if not text_fi.strip() or not text_en.strip():
        raise ServiceError(
            _("Both the Finnish and the English wording are required."),
            code="wording.both_languages",
            field="text",
        )
    with transaction.atomic():
        last = Wording.objects.select_for_update().filter(topic=topic).order_by("-version").first()
        wording = Wording.objects.create(
            topic=topic,
            version=(last.version + 1) if last else 1,
            text_fi=text_fi.strip(),
            text_en=text_en.strip(),
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="consent_wording",
            object_ids=[wording.pk],
            detail={"topic": topic.slug, "version": wording.version},
        )
    return wording


def wording_update(*, actor: Actor, wording: Wording, text_fi: str, text_en: str) -> Wording:
    """Correct a wording nobody has consented to yet; a used one is proof and never changes."""
    with transaction.atomic():
        if Consent.objects.filter(wording=wording).exists():
            raise ServiceError(
                _("People have consented to this wording: add a new version instead."),
                code="wording.in_use",
                field="text",
            )
        wording.text_fi, wording.text_en = text_fi.strip(), text_en.strip()
        wording.save(update_fields=["text_fi", "text_en"])
        audit_record(actor=actor, action="change", object_type="consent_wording", object_ids=[wording.pk])
    return wording


def current_wording(topic: Topic) -> Wording:
    wording = Wording.objects.filter(topic=topic).order_by("-version").first()
    if wording is None:
        raise ServiceError(
            _("The topic has no consent wording."), code="wording.none", field="wording_version"
        )
    return wording


def _wording(topic: Topic, version: int | None) -> Wording:
    if version is None:
        return current_wording(topic)
    wording = Wording.objects.filter(topic=topic, version=version).first()
    if wording is None:
        raise ServiceError(
            _("The topic has no wording of this version."),
            code="wording.version_unknown",
            field="wording_version",
        )
    return wording


def consent_give(
    *,
    actor: Actor,
    person: Person,
    topic: Topic | str,
    channel: str,
    wording_version: int | None = None,
    evidence: dict[str, Any] | None = None,
    given_at=None,
) -> Consent:
    """Record a consent to a topic, with the wording version shown and its evidence.

    Refused while restricted (Art. 18), after an objection to direct marketing (Art. 21(3))
    and while a consent to the topic is already in force. A verbal consent (phone, event)
    names the staff member who heard it. A consent to a newsletter also records consent as
    the direct-marketing basis of section 3 where none is in force.
    """
    restriction_check(person)
    topic = topic_get(topic)
    marketing_check(person)
    if channel not in GIVING_CHANNELS:
        raise ValidationError({"channel": choose_one(GIVING_CHANNELS)})
    wording = _wording(topic, wording_version)
    evidence = dict(evidence or {})
    if channel in VERBAL_CHANNELS or actor.user is not None:
        evidence.setdefault("staff_user_id", actor.user_id)
    now = given_at or timezone.now()
    with transaction.atomic():
        restriction_check(person, lock=True)
        if Consent.objects.filter(person=person, topic=topic, withdrawn_at=None).exists():
            raise ConsentInForce({"topic": "A consent to this topic is already in force."}, code="conflict")
        consent = Consent.objects.create(
            person=person,
            topic=topic,
            wording=wording,
            given_at=now,
            given_channel=channel,
            evidence=json.dumps(evidence, sort_keys=True),
            recorded_by=actor.recorded_user,
        )
        if topic.kind == Topic.Kind.LIST:
            _marketing_basis_ensure(actor, person)
        audit_record(
            actor=actor,
            action="create",
            object_type="consent",
            object_ids=[consent.pk],
            person_ids=[person.pk],
            purpose=MARKETING_PURPOSE,
            detail={"topic": topic.slug, "channel": channel, "wording_version": wording.version},
        )
    return consent


def _marketing_basis_ensure(actor: Actor, person: Person) -> None:
    from rekisteri.privacy.bases import in_force_q
    from rekisteri.privacy.services import basis_set

    if not ProcessingBasis.objects.filter(
        in_force_q(), person=person, purpose__slug=MARKETING_PURPOSE
    ).exists():
        basis_set(actor=actor, person=person, purpose=MARKETING_PURPOSE, basis=LegalBasis.CONSENT)


def consent_withdraw(*, actor: Actor, consent: Consent, channel: str) -> Consent:
    """Withdraw a consent now (Art. 7(3)); the record stays as the proof of what applied.

    Never refused for a restriction: stopping processing is always allowed.
    """
    if channel not in Channel.values:
        raise ValidationError({"channel": choose_one(Channel.values)})
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.withdrawn_at is not None:
            return consent
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_channel = channel
        consent.withdrawn_by = actor.recorded_user
        consent.save(update_fields=["withdrawn_at", "withdrawn_channel", "withdrawn_by"])
        if consent.topic.kind == Topic.Kind.LIST:
            _marketing_basis_end_if_unsupported(consent.person_id, consent.withdrawn_at)
        audit_record(
            actor=actor,
            action="consent_withdraw",
            object_type="consent",
            object_ids=[consent.pk],
            person_ids=[consent.person_id],
            purpose=MARKETING_PURPOSE,
            detail={"topic": consent.topic.slug, "channel": channel},
        )
    return consent


def _marketing_basis_end_if_unsupported(person_id, at) -> None:
    """The last newsletter consent withdrawn: a direct-marketing basis that rested on consent
    ends with it (withdrawn, kept as history)."""
    if Consent.objects.filter(person_id=person_id, topic__kind=Topic.Kind.LIST, withdrawn_at=None).exists():
        return
    ProcessingBasis.objects.filter(
        person_id=person_id, purpose__slug=MARKETING_PURPOSE, basis=LegalBasis.CONSENT, withdrawn_at=None
    ).update(withdrawn_at=at)


def consents_withdraw_all(*, actor: Actor, person_id, channel: str, topic_kind: str | None = None) -> int:
    """Withdraw every current consent of a person (an objection, 'stop all marketing')."""
    current = Consent.objects.filter(person_id=person_id, withdrawn_at=None).select_related("topic")
    if topic_kind is not None:
        current = current.filter(topic__kind=topic_kind)
    count = 0
    for consent in current:
        consent_withdraw(actor=actor, consent=consent, channel=channel)
        count += 1
    return count


def consents_withdraw_for_request(actor: Actor, person: Person) -> None:
    """A data-subject request withdrawing consent (section 8): every marketing consent ends."""
    consents_withdraw_all(actor=actor, person_id=person.pk, channel=Channel.STAFF)


def _reason(value: str, field: str, missing: ServiceError) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: missing})
    if len(value) > 500:
        raise ValidationError({field: too_long(500)})
    return value


def relevance_mark(*, actor: Actor, person: Person, topic: Topic | str, reason: str) -> RoleRelevance:
    """Mark a topic as concerning the contact's work role (B2B opt-out, Act 917/2014
    ch. 24), with the reason. A mark already in force is ended (kept as history) and
    replaced by this one."""
    restriction_check(person)
    topic = topic_get(topic)
    if topic.kind != Topic.Kind.LIST:
        raise ServiceError(
            _("Only a newsletter list can concern a work role."),
            code="role_relevance.not_a_list",
            field="topic",
        )
    reason = _reason(
        reason,
        "reason",
        ServiceError(
            _("Say why the topic concerns the person's work role."), code="role_relevance.reason_required"
        ),
    )
    with transaction.atomic():
        restriction_check(person, lock=True)
        current = (
            RoleRelevance.objects.select_for_update()
            .filter(person=person, topic=topic, removed_at=None)
            .first()
        )
        if current is not None:
            current.removed_at = timezone.now()
            current.removed_by = actor.recorded_user
            current.removal_reason = "Replaced by a new mark."
            current.save(update_fields=["removed_at", "removed_by", "removal_reason"])
        relevance = RoleRelevance.objects.create(
            person=person, topic=topic, reason=reason, marked_by=actor.recorded_user
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="role_relevance",
            object_ids=[relevance.pk],
            person_ids=[person.pk],
            purpose=MARKETING_PURPOSE,
            detail={"topic": topic.slug, "replaces": str(current.pk) if current else None},
        )
    return relevance


def relevance_remove(*, actor: Actor, relevance: RoleRelevance, reason: str) -> RoleRelevance:
    """End a role-relevance mark, with the reason: opt-out marketing on the topic no longer
    reaches the person. The row stays as history. Never refused for a restriction (it
    stops processing); removing a mark already removed changes nothing."""
    reason = _reason(
        reason,
        "reason",
        ServiceError(
            _("Say why the topic no longer concerns the person's work role."),
            code="role_relevance.end_reason_required",
        ),
    )
    with transaction.atomic():
        relevance = RoleRelevance.objects.select_for_update().select_related("topic").get(pk=relevance.pk)
        if relevance.removed_at is not None:
            return relevance
        relevance.removed_at = timezone.now()
        relevance.removed_by = actor.recorded_user
        relevance.removal_reason = reason
        relevance.save(update_fields=["removed_at", "removed_by", "removal_reason"])
        audit_record(
            actor=actor,
            action="delete",
            object_type="role_relevance",
            object_ids=[relevance.pk],
            person_ids=[relevance.person_id],
            purpose=MARKETING_PURPOSE,
            detail={"topic": relevance.topic.slug},
        )
    return relevance
