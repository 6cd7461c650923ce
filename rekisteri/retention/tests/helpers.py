"""Persons of a given age for the retention tests: created and last contacted on given days."""

from __future__ import annotations

from datetime import date, datetime, time
from itertools import count

from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.people.models import Person
from rekisteri.people.services import person_create

ACTOR = Actor.system("test", origin="cli")
_numbers = count(1)


def moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def aged_person(
    *, created: date, last_contact: date | None = None, categories=(), organization=None
) -> Person:
    number = next(_numbers)
    person = person_create(
        actor=ACTOR,
        first_name="Testi",
        last_name=f"Henkilö{number}",
        email=f"henkilo{number}@retention.example",
        organization=organization,
        categories=list(categories),
        allow_duplicate=True,
    )
    Person.objects.filter(pk=person.pk).update(
        created_at=moment(created), last_activity_at=moment(last_contact) if last_contact else None
    )
    return person
