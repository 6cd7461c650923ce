"""Section 7: the rules, per anchor, as a table; holds and protecting bases; the ceiling."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rekisteri.contacts.models import Interaction
from rekisteri.errors import codes
from rekisteri.organizations.services import organization_create, organization_update
from rekisteri.privacy.models import ProcessingBasis
from rekisteri.privacy.services import basis_set
from rekisteri.retention.engine import Evaluator
from rekisteri.retention.models import RetentionRule
from rekisteri.retention.services import hold_create, hold_release, rule_update
from rekisteri.retention.tests.helpers import ACTOR, aged_person, moment

AS_OF = date(2026, 6, 1)
OLD = date(2023, 1, 10)  # more than two years before AS_OF
RECENT = date(2025, 3, 1)  # less than two years before AS_OF


def verdicts(as_of=AS_OF) -> dict:
    return {v.person_id: v for chunk in Evaluator(as_of).chunks() for v in chunk}


def org(status: str, changed: date | None = None):
    organization = organization_create(actor=ACTOR, name=f"Oy {status} {changed}", status=status)
    if changed is not None:
        type(organization).objects.filter(pk=organization.pk).update(status_changed_at=moment(changed))
    return organization


@pytest.mark.parametrize(
    "case, expected_rule",
    [
        # No category: only the ceiling rule, from the last contact.
        ("no_category_old_contact", "ceiling"),
        ("no_category_recent_contact", None),
        ("never_contacted_added_long_ago", "ceiling"),
        # A prospect with no contact for the rule's time expires.
        ("prospect_old_contact", "prospect_contact"),
        ("prospect_recent_contact", None),
        # A customer's contact is kept while the relationship runs, however old the contact.
        ("customer_running_relationship", None),
        # A former customer starts its contacts' clocks; two years after, they expire.
        ("former_customer_ended_long_ago", "customer_relationship"),
        ("former_customer_ended_recently", None),
        # A student: two years from the last course event.
        ("student_course_long_ago", "training"),
        ("student_course_recently", None),
    ],
)
def test_each_anchor_decides_as_its_rule_says(db, case, expected_rule):
    person = _case(case)

    verdict = verdicts().get(person.pk)

    if expected_rule is None:
        assert verdict is None
    else:
        assert (verdict.rule, verdict.outcome) == (expected_rule, "erase")


def _case(case: str):
    if case == "no_category_old_contact":
        return aged_person(created=OLD, last_contact=OLD)
    if case == "no_category_recent_contact":
        return aged_person(created=OLD, last_contact=RECENT)
    if case == "never_contacted_added_long_ago":
        return aged_person(created=OLD)
    if case == "prospect_old_contact":
        return aged_person(created=OLD, last_contact=OLD, categories=["prospect_contact"])
    if case == "prospect_recent_contact":
        return aged_person(created=OLD, last_contact=RECENT, categories=["prospect_contact"])
    if case == "customer_running_relationship":
        return aged_person(created=OLD, categories=["customer_representative"], organization=org("customer"))
    if case == "former_customer_ended_long_ago":
        return aged_person(
            created=OLD, categories=["customer_representative"], organization=org("former", date(2024, 1, 5))
        )
    if case == "former_customer_ended_recently":
        return aged_person(
            created=OLD, categories=["customer_representative"], organization=org("former", date(2025, 1, 5))
        )
    if case in ("student_course_long_ago", "student_course_recently"):
        person = aged_person(created=OLD, last_contact=OLD, categories=["student"])
        course = date(2024, 2, 1) if case == "student_course_long_ago" else RECENT
        Interaction.objects.create(person=person, kind="event", text="", occurred_at=moment(course))
        return person
    raise AssertionError(case)


def test_the_former_customer_clock_starts_when_the_organization_becomes_one(db):
    organization = org("customer")
    person = aged_person(created=OLD, categories=["customer_representative"], organization=organization)
    assert person.pk not in verdicts(date(2030, 1, 1))

    organization_update(actor=ACTOR, organization=organization, status="former")
    ended = timezone.localdate()

    assert person.pk not in verdicts(date(ended.year + 1, ended.month, 1))
    assert verdicts(date(ended.year + 2, 12, 31))[person.pk].rule == "customer_relationship"


def test_the_anchor_is_the_later_of_relationship_end_and_last_contact(db):
    person = aged_person(
        created=OLD,
        last_contact=RECENT,
        categories=["customer_representative"],
        organization=org("former", date(2023, 5, 1)),
    )
    assert person.pk not in verdicts()  # contacted within two years
    assert verdicts(date(2027, 3, 1))[person.pk].anchor_on == RECENT


def test_a_contract_in_force_protects_and_its_end_starts_the_clock(db):
    person = aged_person(created=OLD, last_contact=OLD)
    basis_set(actor=ACTOR, person=person, purpose="customer_relationship", basis="contract", valid_from=OLD)
    assert person.pk not in verdicts()  # the contract rule has not started running

    ProcessingBasis.objects.filter(person=person).update(valid_until=date(2025, 1, 31))
    assert person.pk not in verdicts()  # the contract rule: two years from its end
    later = verdicts(date(2027, 2, 1))[person.pk]
    assert (later.rule, later.anchor_on, later.outcome) == ("contract", date(2025, 1, 31), "erase")


def test_a_withdrawn_consent_runs_from_its_withdrawal(db):
    person = aged_person(created=OLD, last_contact=OLD)
    basis_set(actor=ACTOR, person=person, purpose="direct_marketing", basis="consent", valid_from=OLD)
    assert person.pk not in verdicts()  # a consent in force keeps the person

    ProcessingBasis.objects.filter(person=person).update(withdrawn_at=moment(date(2025, 2, 1)))
    assert person.pk not in verdicts()
    verdict = verdicts(date(2027, 2, 1))[person.pk]
    assert (verdict.rule, verdict.anchor_on) == ("marketing_consent", date(2025, 2, 1))


def test_a_legal_obligation_in_force_protects_the_person(db):
    person = aged_person(created=OLD, last_contact=OLD)
    basis_set(
        actor=ACTOR, person=person, purpose="rights_and_obligations", basis="legal_obligation", valid_from=OLD
    )
    assert verdicts()[person.pk].held_by == "basis:legal_obligation"


def test_a_hold_on_the_person_or_their_organization_beats_every_rule_until_it_ends(db):
    organization = org("former", date(2023, 1, 1))
    held_person = aged_person(created=OLD, last_contact=OLD)
    contact = aged_person(created=OLD, categories=["customer_representative"], organization=organization)
    hold = hold_create(
        actor=ACTOR,
        person=held_person,
        kind="legal_claim",
        reason="KO 123/2026",
        ends_on=date(2026, 12, 31),
        starts_on=OLD,
    )
    hold_create(
        actor=ACTOR,
        organization=organization,
        kind="statutory_duty",
        reason="Kirjanpitolaki 2:10",
        ends_on=date(2026, 12, 31),
        starts_on=date(2026, 1, 1),
    )

    found = verdicts()
    assert (found[held_person.pk].outcome, found[held_person.pk].held_by) == ("held", "hold:legal_claim")
    assert (found[contact.pk].outcome, found[contact.pk].held_by) == ("held", "hold:statutory_duty")
    # After the end date, the rules apply again.
    after = verdicts(date(2027, 1, 1))
    assert after[held_person.pk].outcome == after[contact.pk].outcome == "erase"
    # A released hold no longer holds.
    hold_release(actor=ACTOR, hold=hold)
    assert verdicts()[held_person.pk].outcome == "erase"


def test_a_hold_is_refused_without_a_reason_or_a_subject(db):
    with pytest.raises(ValidationError) as refused:
        hold_create(actor=ACTOR, kind="legal_claim", reason=" ", ends_on=date(2027, 1, 1))
    assert set(refused.value.message_dict) == {"subject", "reason"}


def test_no_rule_may_keep_longer_than_two_years_without_a_statute(db):
    rule = RetentionRule.objects.get(code="prospect_contact")
    with pytest.raises(ValidationError) as refused:
        rule_update(actor=ACTOR, rule=rule, period="P3Y")
    assert codes(refused.value) == {"period": ["retention_rule.beyond_ceiling"]}
    with pytest.raises(ValidationError):
        rule_update(actor=ACTOR, rule=rule, period="P2Y1D")
    rule_update(actor=ACTOR, rule=rule, period="P18M")
    assert RetentionRule.objects.get(code="prospect_contact").period == "P18M"


def test_the_ceiling_rule_cannot_be_switched_off_or_lengthened(db):
    ceiling = RetentionRule.objects.get(code="ceiling")
    with pytest.raises(ValidationError):
        rule_update(actor=ACTOR, rule=ceiling, active=False)
    with pytest.raises(ValidationError):
        rule_update(actor=ACTOR, rule=RetentionRule.objects.get(code="ceiling"), statutory=True, period="P5Y")


def test_a_malformed_period_is_refused(db):
    with pytest.raises(ValidationError) as refused:
        rule_update(actor=ACTOR, rule=RetentionRule.objects.get(code="training"), period="two years")
    assert "ISO 8601" in str(refused.value)


def test_every_default_rule_states_its_legal_reason_and_keeps_the_promise(db):
    for rule in RetentionRule.objects.all():
        rule.clean()  # raises when a rule breaks the ceiling or lacks a reason
        assert rule.legal_reason_fi and rule.legal_reason_en
    assert RetentionRule.objects.filter(code="ceiling", period="P2Y", active=True).exists()
