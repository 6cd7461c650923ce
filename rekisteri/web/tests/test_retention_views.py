"""The privacy officer's retention page: rules with their reasons, the backlog, holds."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.utils import translation

from rekisteri.retention.models import Confirmation, LegalHold, RetentionRule
from rekisteri.retention.tests.helpers import aged_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(cast) -> Client:
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_page_shows_every_rule_with_its_legal_reason_and_the_backlog(officer):
    aged_person(created=date(2022, 1, 1), last_contact=date(2022, 1, 1))
    with translation.override("en"):
        page = officer.get("/retention/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for rule in RetentionRule.objects.filter(active=True):
        assert rule.code in page
    assert "Testi" not in page  # ids and counts only


def test_a_backlog_is_confirmed_for_a_rule_that_waits(officer, cast):
    aged_person(created=date(2022, 1, 1), last_contact=date(2022, 1, 1))
    rule = RetentionRule.objects.get(code="ceiling")
    RetentionRule.objects.filter(pk=rule.pk).update(auto_confirm=False)

    response = officer.post(f"/retention/rules/{rule.pk}/confirm/")

    assert response.status_code == 302
    confirmation = Confirmation.objects.get(rule=rule)
    assert (confirmation.count, confirmation.confirmed_by) == (1, cast.privacy_officer)


def test_a_hold_is_put_and_released_from_the_page(officer, person):
    response = officer.post(
        "/retention/holds/",
        {"person_id": str(person.pk), "kind": "legal_claim", "reason": "KO 5/2026", "ends_on": "2030-01-01"},
    )
    assert response.status_code == 302
    hold = LegalHold.objects.get(person=person)
    assert officer.post(f"/retention/holds/{hold.pk}/release/").status_code == 302
    hold.refresh_from_db()
    assert hold.released_at is not None


def test_a_hold_without_a_subject_is_shown_back_with_the_error(officer):
    response = officer.post(
        "/retention/holds/", {"kind": "legal_claim", "reason": "x", "ends_on": "2030-01-01"}
    )
    assert response.status_code == 422
    assert not LegalHold.objects.exists()


def test_a_rule_change_not_yet_in_effect_is_marked_with_the_period_the_sweep_applies(officer, system_actor):
    from django.utils import timezone

    from rekisteri.notice.services import version_publish
    from rekisteri.retention.services import rule_create, rule_update

    version_publish(actor=system_actor, effective_on=timezone.localdate(), summary="First")
    rule_update(actor=system_actor, rule=RetentionRule.objects.get(code="ceiling"), period="P1Y")
    rule_create(
        actor=system_actor,
        code="accounting",
        category="any",
        period="P5Y",
        anchor="last_contact",
        statutory=True,
        legal_reason_fi="Kirjanpitolaki 2:10.",
        legal_reason_en="Accounting Act 2:10.",
    )
    page = officer.get("/retention/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "applied as P2Y until a notice version announcing the change takes effect" in page
    assert "not applied until a notice version announcing it takes effect" in page
    assert page.count("rule-pending") == 2


def test_a_deletion_report_shows_its_proof_of_erasure(officer):
    from rekisteri.retention.services import retention_sweep
    from rekisteri.retention.tests.helpers import ACTOR

    aged_person(created=date(2022, 1, 1), last_contact=date(2022, 1, 1))
    retention_sweep(actor=ACTOR)
    with translation.override("en"):
        page = officer.get("/retention/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "erasure-evidence" in page and "Data keys destroyed" in page
    assert "scan-not-performed" in page  # the suite's database: in memory, or on the server
    assert "Testi" not in page
