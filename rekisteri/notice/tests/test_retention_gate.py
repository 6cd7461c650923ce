"""Section 12: the sweep applies a retention rule only from the effective date of the notice
version that announced it; until then the rule as the notice in force states it applies, and a
brand-new rule applies nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rekisteri.notice.services import version_publish
from rekisteri.retention.engine import Evaluator
from rekisteri.retention.models import RetentionRule
from rekisteri.retention.services import retention_sweep, rule_create, rule_update
from rekisteri.retention.tests.helpers import aged_person

pytestmark = pytest.mark.django_db


def _verdict(person, as_of):
    return {v.person_id: v for chunk in Evaluator(as_of).chunks() for v in chunk}.get(person.pk)


def _person_last_seen(days_ago: int):
    day = timezone.localdate() - timedelta(days=days_ago)
    return aged_person(created=day, last_contact=day)


def test_without_any_version_in_force_the_live_rules_apply(system_actor):
    person = _person_last_seen(600)  # about 20 months
    rule_update(actor=system_actor, rule=RetentionRule.objects.get(code="ceiling"), period="P1Y")
    verdict = _verdict(person, timezone.localdate())
    assert verdict is not None and verdict.rule == "ceiling" and verdict.outcome == "erase"


def test_a_shorter_period_applies_only_from_the_version_announcing_it(system_actor):
    today = timezone.localdate()
    version_publish(actor=system_actor, effective_on=today, summary="First")
    person = _person_last_seen(600)
    rule_update(actor=system_actor, rule=RetentionRule.objects.get(code="ceiling"), period="P1Y")
    # Not yet published: the notice in force still says two years.
    assert _verdict(person, today) is None
    effective = today + timedelta(days=30)
    version_publish(actor=system_actor, effective_on=effective, summary="One year", significant=True)
    assert _verdict(person, today) is None
    assert retention_sweep(actor=system_actor, dry_run=True).verdicts == []
    verdict = _verdict(person, effective)
    assert verdict is not None and verdict.rule == "ceiling" and verdict.outcome == "erase"
    # The period stays in the rule's row; the sweep's rows carry the announced one in memory only.
    assert RetentionRule.objects.get(code="ceiling").period == "P1Y"


def test_a_new_rule_keeps_nobody_until_its_version_takes_effect(system_actor):
    today = timezone.localdate()
    version_publish(actor=system_actor, effective_on=today, summary="First")
    person = _person_last_seen(800)  # past the two-year ceiling
    rule_create(
        actor=system_actor,
        code="accounting",
        category="any",
        period="P5Y",
        anchor="last_contact",
        statutory=True,
        legal_reason_fi="Kirjanpitolaki 2:10: kirjanpitoaineisto säilytetään.",
        legal_reason_en="Accounting Act 2:10: accounting records are kept.",
    )
    verdict = _verdict(person, today)
    assert verdict is not None and verdict.outcome == "erase" and verdict.rule == "ceiling"
    effective = today + timedelta(days=30)
    version_publish(actor=system_actor, effective_on=effective, summary="Accounting", significant=True)
    assert _verdict(person, today) is not None
    # From the version's effective date the new rule applies, and keeps the person.
    assert _verdict(person, effective) is None


def test_a_rule_switched_off_still_applies_until_the_version_without_it_takes_effect(system_actor):
    today = timezone.localdate()
    person = _person_last_seen(800)
    accounting = rule_create(
        actor=system_actor,
        code="accounting",
        category="any",
        period="P5Y",
        anchor="last_contact",
        statutory=True,
        legal_reason_fi="Kirjanpitolaki 2:10: kirjanpitoaineisto säilytetään.",
        legal_reason_en="Accounting Act 2:10: accounting records are kept.",
    )
    version_publish(actor=system_actor, effective_on=today, summary="First")
    assert _verdict(person, today) is None
    rule_update(actor=system_actor, rule=accounting, active=False)
    effective = today + timedelta(days=30)
    version_publish(actor=system_actor, effective_on=effective, summary="No more", significant=True)
    assert _verdict(person, today) is None
    assert _verdict(person, effective) is not None


def test_the_rules_command_shows_the_period_the_sweep_applies(system_actor):
    import json
    from io import StringIO

    from django.core.management import call_command

    version_publish(actor=system_actor, effective_on=timezone.localdate(), summary="First")
    rule_update(actor=system_actor, rule=RetentionRule.objects.get(code="ceiling"), period="P1Y")
    out = StringIO()
    call_command("retention", "rules", "--json", stdout=out)
    ceiling = {rule["code"]: rule for rule in json.loads(out.getvalue())}["ceiling"]
    assert (ceiling["period"], ceiling["applied_period"]) == ("P1Y", "P2Y")
    out = StringIO()
    call_command("retention", "rules", stdout=out)
    assert "applied as P2Y until a notice version announcing the change takes effect" in out.getvalue()
