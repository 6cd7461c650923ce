"""Section 7: the privacy officer adds and changes retention rules in the staff UI; each change
is audited and shows in the notice draft, and the two-year ceiling stays."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.notice.selectors import draft_get
from rekisteri.notice.services import version_publish
from rekisteri.retention.models import RetentionRule

pytestmark = pytest.mark.django_db

REASON_FI = "Tapahtumien osallistujat: vuosi viimeisestä yhteydestä."
REASON_EN = "Event participants: a year after the last contact."


def _login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def officer(cast) -> Client:
    return _login(cast.privacy_officer)


@pytest.fixture
def published(system_actor):
    version = version_publish(actor=system_actor, effective_on=timezone.localdate(), summary="First")
    assert draft_get() is None
    return version


def _new(**changes) -> dict:
    data = {
        "code": "events",
        "purpose": "",
        "category": "prospect_contact",
        "period": "P1Y",
        "anchor": "last_contact",
        "legal_reason_fi": REASON_FI,
        "legal_reason_en": REASON_EN,
        "auto_confirm": "on",
        "position": "7",
    }
    return {**data, **changes}


def _edit(rule: RetentionRule, **changes) -> dict:
    data = {
        "period": rule.period,
        "legal_reason_fi": rule.legal_reason_fi,
        "legal_reason_en": rule.legal_reason_en,
        "auto_confirm": "on" if rule.auto_confirm else "",
        "statutory": "on" if rule.statutory else "",
        "active": "on" if rule.active else "",
    }
    return {key: value for key, value in {**data, **changes}.items() if value != ""}


def test_only_the_privacy_officer_adds_or_changes_rules(cast):
    rule = RetentionRule.objects.get(code="ceiling")
    paths = ["/retention/rules/new/", f"/retention/rules/{rule.pk}/"]
    for path in paths:
        assert _login(cast.privacy_officer).get(path).status_code == 200
    for user in (cast.sales, cast.crm, cast.marketing, cast.trainer, cast.admin):
        client = _login(user)
        for path in paths:
            assert client.get(path).status_code == 403, (user, path)
        assert client.post("/retention/rules/new/", _new()).status_code == 403
        assert client.post(paths[1], _edit(rule, period="P1Y")).status_code == 403
    assert not RetentionRule.objects.filter(code="events").exists()
    assert RetentionRule.objects.get(code="ceiling").period == rule.period


def test_the_retention_page_links_the_rule_pages(officer):
    body = officer.get("/retention/").content.decode()
    rule = RetentionRule.objects.get(code="ceiling")
    assert 'href="/retention/rules/new/"' in body and f'href="/retention/rules/{rule.pk}/"' in body


def test_the_privacy_officer_adds_and_changes_a_rule(cast, officer, published):
    response = officer.post("/retention/rules/new/", _new())
    assert response.status_code == 302 and response.url == "/retention/"
    rule = RetentionRule.objects.get(code="events")
    assert (rule.category, rule.period, rule.anchor, rule.purpose) == (
        "prospect_contact",
        "P1Y",
        "last_contact",
        None,
    )
    draft = draft_get()
    assert draft is not None and REASON_FI in draft.text_fi and REASON_EN in draft.text_en
    event = AuditEvent.objects.filter(object_type="retention_rule", action="create").latest("seq")
    assert event.actor_user_id == cast.privacy_officer.pk

    response = officer.post(f"/retention/rules/{rule.pk}/", _edit(rule, legal_reason_en="Events: one year."))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.legal_reason_en == "Events: one year."
    assert "Events: one year." in draft_get().text_en
    assert AuditEvent.objects.filter(object_type="retention_rule", action="change").latest(
        "seq"
    ).actor_user_id == (cast.privacy_officer.pk)


def test_a_rule_longer_than_two_years_needs_a_statute(officer):
    count, events = RetentionRule.objects.count(), AuditEvent.objects.count()
    response = officer.post("/retention/rules/new/", _new(period="P3Y"))
    assert response.status_code == 422
    assert "period" in response.context["form"].errors
    assert "lakiin perustuvaa syytä" in response.content.decode()
    response = officer.post("/retention/rules/new/", _new(period="kolme vuotta", code="Not a code"))
    assert response.status_code == 422
    assert {"code"} <= set(response.context["form"].errors)
    assert RetentionRule.objects.count() == count and AuditEvent.objects.count() == events


def test_the_ceiling_rule_cannot_be_switched_off(officer):
    rule = RetentionRule.objects.get(code="ceiling")
    response = officer.post(f"/retention/rules/{rule.pk}/", _edit(rule, active=""))
    assert response.status_code == 422
    assert "active" in response.context["form"].errors
    rule.refresh_from_db()
    assert rule.active is True


def test_a_bad_period_is_a_form_error_in_finnish(officer):
    rule = RetentionRule.objects.get(code="ceiling")
    response = officer.post(f"/retention/rules/{rule.pk}/", _edit(rule, period="kaksi vuotta"))
    assert response.status_code == 422
    assert response.context["form"].errors["period"] == [
        "Anna aika ISO 8601 -muodossa, esimerkiksi P2Y tai P6M (annettu: 'kaksi vuotta')."
    ]
    rule.refresh_from_db()
    assert rule.period == "P2Y"
