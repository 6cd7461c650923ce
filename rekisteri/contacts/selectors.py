"""Reading contact history: the person card's timeline and the API's pages, audited."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.contacts.models import Interaction, TrackingEvent
from rekisteri.db.compiled_query import CompiledQuery, sample_ids
from rekisteri.encryption.fields import attach_ciphers, decrypt_now
from rekisteri.keystore.services import ciphers_for
from rekisteri.people.visibility import actor_rule

TIMELINE_PAGE_SIZE = 20


@dataclass(frozen=True)
class TimelinePage:
    interactions: list[Interaction]  # newest first, their authors joined
    number: int  # the page shown: a page past the end shows the last one, as Paginator does
    total: int  # all interactions of the person
    per_page: int = TIMELINE_PAGE_SIZE


def _timeline(person_id, kinds: Collection[str] | None = None) -> QuerySet:
    interactions = Interaction.objects.filter(person_id=person_id)
    if kinds is not None:
        interactions = interactions.filter(kind__in=sorted(kinds))
    return interactions.select_related("author").order_by("-occurred_at", "id")


# The first page is what every card view shows: one compiled statement that also counts
# (COUNT(*) OVER () is computed before LIMIT), instead of a page query and a count query,
# each built by the ORM on every view.
_FIRST_PAGE = CompiledQuery(
    lambda ids: _timeline(ids[0]).annotate(timeline_total=Window(Count("pk")))[:TIMELINE_PAGE_SIZE],
    field=Interaction._meta.get_field("person").target_field,
    samples=sample_ids,
)


def interaction_timeline(person_id, *, page: int = 1, kinds: Collection[str] | None = None) -> TimelinePage:
    """A page of the person's interactions, newest first, with how many there are in all.

    `kinds`: only these kinds (a role's view rule); None for all. The caller has read the
    person through person_get (audited, keys in scope): the interactions' texts are that
    person's and decrypt with their key.
    """
    if kinds is not None:
        paginator = Paginator(_timeline(person_id, kinds), TIMELINE_PAGE_SIZE)
        shown = paginator.get_page(page)
        return TimelinePage(interactions=list(shown.object_list), number=shown.number, total=paginator.count)
    if page <= 1:
        interactions = _FIRST_PAGE.run([person_id])
        total = interactions[0].timeline_total if interactions else 0
        return TimelinePage(interactions=interactions, number=1, total=total)
    paginator = Paginator(_timeline(person_id), TIMELINE_PAGE_SIZE)
    shown = paginator.get_page(page)
    return TimelinePage(interactions=list(shown.object_list), number=shown.number, total=paginator.count)


@dataclass(frozen=True)
class TimelineEntry:
    """One interaction as a reader may see it: `text` is None when their role reads only
    kinds and dates (people.visibility), so no template can show it by mistake."""

    id: UUID
    kind: str
    kind_display: str
    occurred_at: datetime
    author: object | None
    text: str | None


def timeline_entries(interactions: Iterable[Interaction], *, texts: bool) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            id=interaction.pk,
            kind=interaction.kind,
            kind_display=interaction.get_kind_display(),
            occurred_at=interaction.occurred_at,
            author=interaction.author,
            text=interaction.text if texts else None,
        )
        for interaction in interactions
    ]


@dataclass(frozen=True)
class InteractionPage:
    interactions: list[Interaction]  # newest first
    total: int
    # Whether the reader's role reads the texts (people.visibility): when not, none are sent.
    texts: bool


def interaction_page(
    *, actor: Actor, person_id: UUID, limit: int, offset: int, read_reason: str = ""
) -> InteractionPage:
    """A page of a person's interactions of the kinds the actor's role sees, newest first;
    audited as a read of that person under the role's purpose (people.visibility).
    `read_reason`: the legal reason stated for reading a restricted person (Art. 18), kept
    in the audit event (the caller has checked that the role may read them with one)."""
    rule = actor_rule(actor)
    queryset = Interaction.objects.filter(person_id=person_id).order_by("-occurred_at", "-id")
    if rule.kind_filter is not None:
        queryset = queryset.filter(kind__in=sorted(rule.kind_filter))
    total = queryset.count()
    results = list(queryset[offset : offset + limit])
    audit_record(
        actor=actor,
        action="list",
        object_type="interaction",
        object_ids=[interaction.pk for interaction in results],
        person_ids=[person_id],
        purpose=rule.purpose,
        detail={
            "results": len(results),
            "total": total,
            "texts": rule.interaction_texts,
            **({"restricted_read": True, "reason": read_reason} if read_reason else {}),
        },
    )
    return InteractionPage(interactions=results, total=total, texts=rule.interaction_texts)


def recent_tracking(person_id: Any, limit: int) -> list[TrackingEvent]:
    """A person's newest tracking events, newest first, decrypted (for the card and the API,
    which read the person through people.selectors.person_get: audited there)."""
    events = list(TrackingEvent.objects.filter(person_id=person_id).order_by("-occurred_at", "id")[:limit])
    attach_ciphers(events, ciphers_for([person_id]), "person_id")
    decrypt_now(events)
    return events
