"""Reading contact history: the person card's timeline."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window

from rekisteri.contacts.models import Interaction
from rekisteri.lib.compiled_query import CompiledQuery, sample_ids

TIMELINE_PAGE_SIZE = 20


@dataclass(frozen=True)
class TimelinePage:
    interactions: list[Interaction]  # newest first, their authors joined
    number: int  # the page shown: a page past the end shows the last one, as Paginator does
    total: int  # all interactions of the person
    per_page: int = TIMELINE_PAGE_SIZE


def _timeline(person_id) -> QuerySet:
    return (
        Interaction.objects.filter(person_id=person_id)
        .select_related("author")
        .order_by("-occurred_at", "id")
    )


# The first page is what every card view shows: one compiled statement that also counts
# (COUNT(*) OVER () is computed before LIMIT), instead of a page query and a count query,
# each built by the ORM on every view.
_FIRST_PAGE = CompiledQuery(
    lambda ids: _timeline(ids[0]).annotate(timeline_total=Window(Count("pk")))[:TIMELINE_PAGE_SIZE],
    field=Interaction._meta.get_field("person").target_field,
    samples=sample_ids,
)


def interaction_timeline(person_id, *, page: int = 1) -> TimelinePage:
    """A page of the person's interactions, newest first, with how many there are in all.

    The caller has read the person through person_get (audited, keys in scope): the
    interactions' texts are that person's and decrypt with their key.
    """
    if page <= 1:
        interactions = _FIRST_PAGE.run([person_id])
        total = interactions[0].timeline_total if interactions else 0
        return TimelinePage(interactions=interactions, number=1, total=total)
    paginator = Paginator(_timeline(person_id), TIMELINE_PAGE_SIZE)
    shown = paginator.get_page(page)
    return TimelinePage(interactions=list(shown.object_list), number=shown.number, total=paginator.count)
