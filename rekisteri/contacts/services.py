"""Contact history: interactions with a person."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.contacts.models import Interaction, TrackingEvent
from rekisteri.errors import ServiceError, choose_one, too_long
from rekisteri.people.models import Person
from rekisteri.people.restriction import marketing_check, restriction_check
from rekisteri.people.visibility import actor_rule

MAX_TEXT = 10_000

# Art. 14(3)(b): a logged call, meeting or e-mail is a communication with the person, at which
# at the latest they must have been told where their data came from. The notice app above this
# one installs the check when ready (rekisteri.notice.first_communication): it runs in the
# interaction's transaction and answers "sent" (mailed now), "owed" (no address: the staff
# member tells them) or None (nothing due, or no communication).
_first_communication: list = [lambda **kwargs: None]


def first_communication_hook_install(hook) -> None:
    _first_communication[0] = hook


def interaction_create(
    *, actor: Actor, person: Person, kind: str, text: str, occurred_at: datetime | None = None
) -> Interaction:
    """Log a contact with the person. The returned interaction's `source_information` says
    what the Art. 14 check did: "sent", "owed" or None (see _first_communication)."""
    restriction_check(person)  # Art. 18: a restricted person's data is only stored
    errors = {}
    allowed = actor_rule(actor).interaction_kinds
    if kind not in Interaction.Kind.values:
        errors["kind"] = choose_one(Interaction.Kind.values)
    elif allowed is not None and kind not in allowed:
        # A role records only what it may read back (people.visibility): a trainer's "call"
        # would vanish from their own view and sit among the sales history.
        errors["kind"] = ServiceError(
            _("Your role records only these kinds: %(choices)s."),
            code="interaction.kind_not_for_role",
            params={"choices": ", ".join(sorted(allowed))},
        )
    text = (text or "").strip()
    if not text:
        errors["text"] = ServiceError(_("Write what happened."), code="interaction.text_required")
    elif len(text) > MAX_TEXT:
        errors["text"] = too_long(MAX_TEXT)
    occurred_at = occurred_at or timezone.now()
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    if occurred_at > timezone.now() + timezone.timedelta(days=1):
        errors["occurred_at"] = ServiceError(
            _("An interaction cannot be in the future."), code="interaction.future"
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        interaction = Interaction.objects.create(
            person=person,
            kind=kind,
            text=text,
            occurred_at=occurred_at,
            author=actor.recorded_user,
        )
        if person.last_activity_at is None or occurred_at > person.last_activity_at:
            Person.objects.filter(pk=person.pk).update(last_activity_at=occurred_at)
            person.last_activity_at = occurred_at
        audit_record(
            actor=actor,
            action="create",
            object_type="interaction",
            object_ids=[interaction.pk],
            person_ids=[person.pk],
            detail={"kind": kind},
        )
        interaction.source_information = (
            _first_communication[0](actor=actor, person=person, kind=kind) or None
        )
    return interaction


# Every tracking event (a newsletter open or click, a web visit, any kind) is recorded per
# person only with the person's consent to tracking (section 9; CNIL 2026): without it the
# caller keeps only an aggregate count. The consents live in the marketing app above this
# one, which installs the check when ready; until then nobody has consented.
_tracking_consent: list = [lambda person_id: False]


def tracking_consent_check_install(check) -> None:
    _tracking_consent[0] = check


class TrackingNotConsented(ValidationError):
    def __init__(self):
        super().__init__(
            {
                "kind": ServiceError(
                    _("The person has not consented to individual tracking."),
                    code="tracking.no_consent",
                )
            }
        )


def tracking_event_record(
    *, actor: Actor, person: Person, kind: str, reference: str = "", occurred_at: datetime | None = None
) -> TrackingEvent:
    # Art. 18, and Art. 21(3): tracking serves direct marketing, which an objection ends.
    restriction_check(person)
    marketing_check(person)
    if kind not in TrackingEvent.Kind.values:
        raise ValidationError({"kind": choose_one(TrackingEvent.Kind.values)})
    # Section 9: individual tracking of any kind only with the tracking consent in force.
    if not _tracking_consent[0](person.pk):
        raise TrackingNotConsented()
    with transaction.atomic():
        event = TrackingEvent.objects.create(
            person=person, kind=kind, reference=reference[:200], occurred_at=occurred_at or timezone.now()
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="tracking_event",
            object_ids=[event.pk],
            person_ids=[person.pk],
            detail={"kind": kind},
        )
    return event
