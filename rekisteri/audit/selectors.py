"""Reading the audit trail (the privacy officer's browser); the reading is itself recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent, AuditSubject
from rekisteri.audit.services import Action, audit_record

PAGE_SIZE = 50


@dataclass
class EventPage:
    events: list[AuditEvent]  # newest first
    # The keys of the neighbouring pages (None: there is none).
    newer_seq: int | None
    older_seq: int | None


def audit_events(
    *,
    actor: Actor,
    subject_ids: list[Any] | None = None,
    about_person: Any = None,
    actor_user_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: int | None = None,
    after: int | None = None,
    limit: int = PAGE_SIZE,
) -> EventPage:
    """A page of events, newest first, paged by sequence number (keyset: a long trail pages
    as fast as a short one). `subject_ids`: events about any of these persons (a person and
    the records merged into them); `about_person` is the one the reader asked for, named in
    the audit event this reading writes (which then shows on no page it records).
    """
    events = AuditEvent.objects.all()
    filters = []
    if subject_ids is not None:
        events = events.filter(
            pk__in=AuditSubject.objects.filter(person_id__in=subject_ids).values("event_id")
        )
        filters.append("person")
    if actor_user_id is not None:
        events = events.filter(actor_user_id=actor_user_id)
        filters.append("actor")
    if since is not None:
        events = events.filter(at__gte=since)
        filters.append("date_from")
    if until is not None:
        events = events.filter(at__lt=until)
        filters.append("date_to")
    has_newer = has_older = False
    if after is not None:
        rows = list(events.filter(seq__gt=after).order_by("seq")[: limit + 1])
        has_newer = len(rows) > limit
        rows = rows[:limit][::-1]
        has_older = bool(rows) and events.filter(seq__lt=rows[-1].seq).exists()
    else:
        if before is not None:
            events = events.filter(seq__lt=before)
        rows = list(events.order_by("-seq")[: limit + 1])
        has_older = len(rows) > limit
        rows = rows[:limit]
        has_newer = before is not None and bool(rows)
    audit_record(
        actor=actor,
        action=Action.LIST,
        object_type="audit_event",
        object_ids=[rows[0].seq, rows[-1].seq] if rows else [],
        person_ids=[about_person] if about_person else [],
        purpose=actor.purpose,
        detail={"filters": filters, "results": len(rows)},
    )
    return EventPage(
        events=rows,
        newer_seq=rows[0].seq if rows and has_newer else None,
        older_seq=rows[-1].seq if rows and has_older else None,
    )
