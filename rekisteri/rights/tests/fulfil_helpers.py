"""Shared pieces of the fulfilment tests (test_fulfil_*.py): requests, audit, mail."""

from __future__ import annotations

import json

from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.rights.models import Channel, DataSubjectRequest, Verification
from rekisteri.rights.services import request_create

ANNA_EMAIL = "anna.virtanen@testi.fi"


def officer(cast) -> Actor:
    return Actor.for_user(cast.privacy_officer, "ui")


def verified_request(
    *,
    actor: Actor,
    type: str,
    email: str = ANNA_EMAIL,
    channel: str = Channel.PORTAL,
    language: str = "fi",
    details: str = "",
    person=None,
) -> DataSubjectRequest:
    """A request whose requester's identity is verified, matched to the person at `email`."""
    return request_create(
        actor=actor,
        type=type,
        channel=channel,
        email=email,
        details=details,
        language=language,
        verification=Verification.PORTAL_LINK if channel == Channel.PORTAL else Verification.ID_DOCUMENT,
        person_id=person.pk if person is not None else None,
    )


def events(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**filters).order_by("seq"))


def assert_ids_only(*values: str) -> None:
    """No audit event anywhere holds any of these personal values."""
    for event in AuditEvent.objects.all():
        text = json.dumps([event.object_ids, event.person_ids, event.detail, event.actor_label])
        for value in values:
            if value:
                assert value.casefold() not in text.casefold(), (event.action, value)


def mails_to(address: str) -> list:
    return [message for message in deliver_outbox() if address in message.to]


def html_of(message) -> str:
    return message.alternatives[0][0]
