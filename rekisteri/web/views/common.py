"""Helpers shared by the staff UI's views."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from rekisteri.audit.actor import Actor
from rekisteri.people.models import Person
from rekisteri.people.selectors import person_get

PAGE_SIZE = 25
# Counts on the dashboard stop here: an exact count(*) of a million rows is not worth its cost.
COUNT_BOUND = 10_000


def ui_actor(request) -> Actor:
    return Actor.for_user(request.user, "ui")


def page_number(request, name: str = "page") -> int:
    try:
        return max(1, min(int(request.GET.get(name, "1")), 100_000))
    except ValueError:
        return 1


@dataclass
class PageInfo:
    """What the pagination partial needs, for selector pages and Django paginators alike."""

    number: int
    per_page: int
    total: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page


def bounded_count(queryset: QuerySet, bound: int = COUNT_BOUND) -> str:
    count = queryset[: bound + 1].count()
    return f"{bound}+" if count > bound else str(count)


def get_person_for_user(request, person_id: UUID) -> Person:
    """The person a page shows, read through the audited selector; 404 when there is none."""
    actor = ui_actor(request)
    person = person_get(actor=actor, person_id=person_id, purpose=actor.purpose)
    if person is None:
        raise Http404
    return person
