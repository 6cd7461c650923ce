"""Reads of the retention register: rules, holds in force, runs and the backlog."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils import timezone

from rekisteri.privacy.erasure_proof import evidence_current
from rekisteri.retention.models import CEILING_RULE, LegalHold, RetentionRule, SweepRun
from rekisteri.retention.notice_gate import rules_announced


def rules_active() -> list[RetentionRule]:
    return list(RetentionRule.objects.filter(active=True).select_related("purpose"))


def rules_effective(day: date) -> list[RetentionRule]:
    """The rules the sweep applies on `day` (section 12): those the notice in force on that day
    states, each with the period it states (a changed period waits for its version; a new rule
    applies nothing before it); the live active rules while no version is in force.

    The returned rows carry the announced period in memory only: never save them."""
    announced = rules_announced(day)
    if announced is None:
        return rules_active()
    rules = []
    for rule in RetentionRule.objects.filter(code__in=[*announced, CEILING_RULE]).select_related("purpose"):
        # The two-year ceiling applies to everyone, always (section 7); any other rule as announced.
        if rule.code in announced:
            rule.period = announced[rule.code]
        rules.append(rule)
    return rules


def holds_in_force(day: date | None = None) -> QuerySet[LegalHold]:
    day = day or timezone.localdate()
    return LegalHold.objects.filter(released_at=None, starts_on__lte=day, ends_on__gte=day)


def holds_of_person(person_id: UUID | str, day: date | None = None) -> list[str]:
    """The holds in force on the person or on their organization, as short texts (kind, end)."""
    from rekisteri.people.models import Person

    organization_id = Person.objects.filter(pk=person_id).values_list("organization_id", flat=True).first()
    condition = Q(person_id=person_id)
    if organization_id is not None:
        condition |= Q(organization_id=organization_id)
    return [
        f"legal_hold: {hold.kind} until {hold.ends_on.isoformat()}"
        for hold in holds_in_force(day).filter(condition)
    ]


def runs_recent(limit: int = 20) -> list[SweepRun]:
    runs = list(SweepRun.objects.all()[:limit])
    for run in runs:
        # Kept at the end of the run with its byte scan pending; the batches' records have it since.
        run.evidence = evidence_current(run.evidence)
    return runs
