"""Evaluating the retention rules (section 7): which persons have outlived every rule.

A person is erased when every rule that applies to them has run out: the rule's period,
counted from its anchor event, ended on or before the day of evaluation. A rule whose anchor
event has not happened (a customer relationship still running, a consent in force) keeps
the person. The ceiling rule (last contact + two years) applies to everyone, so no person
ends up without a rule, and nobody younger than the ceiling can have expired: the sweep
reads only persons whose last contact is older than that (the last-contact index).

Protected whatever the rules say: a contract or a legal obligation in force (Art. 17(3)(b)),
and a legal hold in force on the person or on their organization.

The evaluation reads in chunks of persons ordered by id, so memory stays flat however many
persons the register holds; it yields the verdicts chunk by chunk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone

from rekisteri.contacts.models import Interaction
from rekisteri.db.id_set import id_set_in
from rekisteri.lib.deadlines import parse_period
from rekisteri.organizations.models import Organization, RelationshipStatus
from rekisteri.people.models import Person, PersonCategory
from rekisteri.privacy.models import LegalBasis, ProcessingBasis
from rekisteri.retention.models import CEILING_RULE, Anchor, Category, Confirmation, RetentionRule
from rekisteri.retention.selectors import holds_in_force, rules_effective

CHUNK = 2000
# What a course leaves in the contact history (contacts.Interaction.Kind).
COURSE_KINDS = ("event", "feedback")
ONGOING_STATUSES = (RelationshipStatus.CUSTOMER, RelationshipStatus.PARTNER)


@dataclass(frozen=True)
class Verdict:
    person_id: UUID
    # The rule that ran out last (the one that decided), its anchor day and the day it ran out.
    rule: str
    anchor_on: date
    expired_on: date
    # "erase", "held" (a hold or a protecting basis), "awaiting" (the rule needs confirming).
    outcome: str
    held_by: str = ""

    def as_dict(self) -> dict:
        return {
            "person_id": str(self.person_id),
            "rule": self.rule,
            "anchor_on": self.anchor_on.isoformat(),
            "expired_on": self.expired_on.isoformat(),
            "outcome": self.outcome,
            **({"held_by": self.held_by} if self.held_by else {}),
        }


@dataclass
class _Facts:
    """What the rules need of one person, read for a whole chunk at once."""

    created: date
    last_activity: date | None
    organization_id: int | None
    categories: set
    # purpose slug -> [(basis, valid_from, valid_until, withdrawn_on)]
    bases: dict
    course_completed: date | None = None

    @property
    def last_contact(self) -> date:
        return max(filter(None, (self.created, self.last_activity)))


def _day(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment is not None else None


def _in_force(row, day: date) -> bool:
    _, valid_from, valid_until, withdrawn_on = row
    return withdrawn_on is None and valid_from <= day and (valid_until is None or valid_until >= day)


def _ended_on(row) -> date | None:
    _, _, valid_until, withdrawn_on = row
    return withdrawn_on or valid_until


class Evaluator:
    """The rules, holds, organizations and confirmations of one evaluation, read once."""

    def __init__(self, as_of: date):
        self.as_of = as_of
        # Only what the notice in force on that day announced (section 12).
        self.rules = [r for r in rules_effective(as_of) if r.category != Category.REQUEST_RECORD]
        self.periods = {rule.code: parse_period(rule.period) for rule in self.rules}
        ceiling = next((r for r in self.rules if r.code == CEILING_RULE), None)
        if ceiling is None:
            raise RuntimeError("The ceiling retention rule is missing (migration retention.0002).")
        self.ceiling = self.periods[CEILING_RULE]
        holds = list(holds_in_force(as_of))
        self.held_persons = {h.person_id: h.kind for h in holds if h.person_id}
        self.held_organizations = {h.organization_id: h.kind for h in holds if h.organization_id}
        self.organizations = {
            pk: (status, _day(changed) or _day(updated))
            for pk, status, changed, updated in Organization.objects.values_list(
                "pk", "status", "status_changed_at", "updated_at"
            )
        }
        self.confirmed_through: dict[str, date] = {}
        for rule_id, through in Confirmation.objects.values_list("rule__code", "through"):
            self.confirmed_through[rule_id] = max(through, self.confirmed_through.get(rule_id, through))

    # --- candidates ---------------------------------------------------------------------

    def candidates(self) -> Q:
        """Persons whose last contact is at least the ceiling's period old (a few days' margin
        for the clamping of months; each is checked exactly afterwards)."""
        cut = self.ceiling.before(self.as_of) + timedelta(days=3)
        moment = timezone.make_aware(datetime.combine(cut, time.min))
        return Q(created_at__lt=moment) & (Q(last_activity_at__lt=moment) | Q(last_activity_at=None))

    def chunks(self) -> Iterator[list[Verdict]]:
        """The verdicts on every candidate, a chunk at a time (persons kept are left out)."""
        last = None
        base = Person.objects.filter(self.candidates()).order_by("pk")
        while True:
            rows = base.filter(pk__gt=last) if last is not None else base
            rows = list(rows.values_list("pk", "created_at", "last_activity_at", "organization_id")[:CHUNK])
            if not rows:
                return
            last = rows[-1][0]
            facts = self._facts(rows)
            yield [v for v in (self.verdict(pid, f) for pid, f in facts.items()) if v is not None]

    def _facts(self, rows) -> dict[UUID, _Facts]:
        facts = {
            pk: _Facts(
                created=_day(created),
                last_activity=_day(active),
                organization_id=org,
                categories=set(),
                bases=defaultdict(list),
            )
            for pk, created, active, org in rows
        }
        # The chunk's ids as one bound set, converted once (rekisteri.db.id_set).
        to_db = Person._meta.pk.get_db_prep_value
        ids = id_set_in(connection, [to_db(pid, connection) for pid in facts])
        for pid, category in PersonCategory.objects.filter(person_id__in=ids).values_list(
            "person_id", "category"
        ):
            facts[pid].categories.add(category)
        for pid, slug, basis, valid_from, valid_until, withdrawn in ProcessingBasis.objects.filter(
            person_id__in=ids
        ).values_list("person_id", "purpose__slug", "basis", "valid_from", "valid_until", "withdrawn_at"):
            facts[pid].bases[slug].append((basis, valid_from, valid_until, _day(withdrawn)))
        students = [pid for pid, f in facts.items() if Category.STUDENT in f.categories]
        if students:
            for pid, at in (
                Interaction.objects.filter(person_id__in=students, kind__in=COURSE_KINDS)
                .values("person_id")
                .annotate(at=Max("occurred_at"))
                .values_list("person_id", "at")
            ):
                facts[pid].course_completed = _day(at)
        return facts

    # --- one person ---------------------------------------------------------------------

    def _bases_of(self, rule: RetentionRule, facts: _Facts, kind: str | None = None) -> list:
        slugs = [rule.purpose.slug] if rule.purpose_id else list(facts.bases)
        rows = [row for slug in slugs for row in facts.bases.get(slug, ())]
        return [row for row in rows if kind is None or row[0] == kind]

    def applies(self, rule: RetentionRule, facts: _Facts) -> bool:
        if rule.category != Category.ANY and rule.category not in facts.categories:
            return False
        # A rule for a group applies by the group; a rule for every person by its purpose (a
        # person is in a group's purpose whether or not its basis has been recorded yet).
        if rule.category == Category.ANY and rule.purpose_id and rule.purpose.slug not in facts.bases:
            return False
        if rule.anchor == Anchor.CONTRACT_END:
            return bool(self._bases_of(rule, facts, LegalBasis.CONTRACT))
        if rule.anchor == Anchor.CONSENT_WITHDRAWAL:
            return bool(self._bases_of(rule, facts, LegalBasis.CONSENT))
        return True

    def anchor(self, rule: RetentionRule, facts: _Facts) -> date | None:
        """The day the rule's period starts for this person; None while its event has not happened."""
        if rule.anchor == Anchor.LAST_CONTACT:
            return facts.last_contact
        if rule.anchor == Anchor.CUSTOMER_RELATIONSHIP_END:
            status, changed = self.organizations.get(facts.organization_id, (None, None))
            if status in ONGOING_STATUSES:
                return None
            # A former customer: the later of the relationship's end and the last contact.
            ended = changed if status == RelationshipStatus.FORMER else None
            return max(filter(None, (ended, facts.last_contact)))
        if rule.anchor == Anchor.COURSE_COMPLETION:
            return facts.course_completed or facts.created
        kind = LegalBasis.CONTRACT if rule.anchor == Anchor.CONTRACT_END else LegalBasis.CONSENT
        rows = self._bases_of(rule, facts, kind)
        if any(_in_force(row, self.as_of) for row in rows):
            return None
        ends = [e for e in map(_ended_on, rows) if e is not None]
        return max(ends) if ends else None

    def protected_by(self, person_id: UUID, facts: _Facts) -> str:
        if person_id in self.held_persons:
            return f"hold:{self.held_persons[person_id]}"
        if facts.organization_id in self.held_organizations:
            return f"hold:{self.held_organizations[facts.organization_id]}"
        for rows in facts.bases.values():
            for row in rows:
                if row[0] in (LegalBasis.CONTRACT, LegalBasis.LEGAL_OBLIGATION) and _in_force(
                    row, self.as_of
                ):
                    return f"basis:{row[0]}"
        return ""

    def verdict(self, person_id: UUID, facts: _Facts) -> Verdict | None:
        """None while some rule still keeps the person; otherwise what happens to them."""
        latest: tuple[date, date, RetentionRule] | None = None
        for rule in self.rules:
            if not self.applies(rule, facts):
                continue
            anchor = self.anchor(rule, facts)
            if anchor is None:
                return None
            expires = self.periods[rule.code].after(anchor)
            if expires > self.as_of:
                return None
            if latest is None or expires > latest[1]:
                latest = (anchor, expires, rule)
        if latest is None:  # unreachable while the ceiling rule applies to everyone
            return None
        anchor, expires, rule = latest
        held = self.protected_by(person_id, facts)
        if held:
            outcome = "held"
        elif rule.auto_confirm or self.confirmed_through.get(rule.code, date.min) >= expires:
            outcome = "erase"
        else:
            outcome = "awaiting"
        return Verdict(person_id, rule.code, anchor, expires, outcome, held)
