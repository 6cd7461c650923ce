"""The public notice states what is in effect: a published version keeps every fact of the seed
notice, and sections 6 and 7 name only the recipients and retention rules in effect, with an
announced version's changes shown as upcoming (section 12)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.notice.services import version_publish
from rekisteri.notice.tests.test_publication import FACTS, _normalised, _page_text
from rekisteri.privacy.configuration import group_company_update, recipient_create
from rekisteri.privacy.models import GroupCompany
from rekisteri.retention.models import RetentionRule
from rekisteri.retention.services import rule_update

pytestmark = pytest.mark.django_db

FI, EN = "/tietosuojaseloste/", "/en/privacy-notice/"


def _section(response, number: int) -> str:
    """One section of the page as normalised text."""
    body = response.content.decode()
    start = body.index(f'<section id="section-{number}">')
    return _normalised(html.unescape(re.sub(r"<[^>]+>", " ", body[start : body.index("</section>", start)])))


def _announce_payroll_and_a_shorter_ceiling(actor):
    """Version 1 in force today; version 2 (a new processor, a one-year ceiling) in 30 days."""
    today = timezone.localdate()
    version_publish(actor=actor, effective_on=today, summary="First")
    recipient_create(
        actor=actor,
        kind="processor",
        name="Palkanlaskenta Oy",
        service_fi="Palkanlaskennan palveluntarjoaja",
        service_en="Payroll service provider",
    )
    rule_update(actor=actor, rule=RetentionRule.objects.get(code="ceiling"), period="P1Y")
    effective = today + timedelta(days=30)
    version_publish(actor=actor, effective_on=effective, summary="Payroll; one year", significant=True)
    return effective


def test_a_published_version_states_every_fact_of_the_seed_notice_whatever_the_live_configuration(
    system_actor,
):
    version_publish(actor=system_actor, effective_on=timezone.localdate(), summary="First")
    # A live change not yet published does not reach the page.
    group_company_update(
        actor=system_actor, company=GroupCompany.objects.get(name="Insta ILS Oy"), name="Insta Uusi Oy"
    )
    for url, column in ((FI, 1), (EN, 2)):
        page = _normalised(_page_text(Client().get(url)))
        for fact in FACTS:
            assert _normalised(fact[column]) in page, (url, fact[0])
        assert "insta uusi oy" not in page


def test_sections_6_and_7_show_only_what_is_in_effect_and_name_the_upcoming_version(system_actor):
    effective = _announce_payroll_and_a_shorter_ceiling(system_actor)
    response = Client().get(EN)
    recipients, retention = _section(response, 6), _section(response, 7)
    assert "crm system provider" in recipients and "payroll service provider" not in recipients
    assert "retention period: 2 years." in retention and "retention period: 1 year." not in retention
    page = _normalised(_page_text(response))
    assert f"version 2 takes effect on {effective.day}.{effective.month}.{effective.year}." in page
    assert "it changes sections 6, 7; until then the sections below apply." in page
    finnish = _normalised(_page_text(Client().get(FI)))
    assert "palkanlaskennan palveluntarjoaja" not in finnish and "se muuttaa kohtia 6, 7" in finnish
    # The announced version itself states them.
    announced = Client().get(EN, {"version": 2})
    assert "payroll service provider" in _section(announced, 6)
    assert "retention period: 1 year." in _section(announced, 7)


def test_the_json_states_the_rules_and_recipients_in_effect_and_the_upcoming_change(system_actor):
    effective = _announce_payroll_and_a_shorter_ceiling(system_actor)
    data = Client().get(EN, {"format": "json"}).json()
    assert data["version"]["number"] == 1
    assert "Payroll service provider" not in [p["en"] for p in data["recipients"]["processors"]]
    assert {r["code"]: r["period"] for r in data["retention"]["rules"]}["ceiling"] == "P2Y"
    [upcoming] = data["upcoming"]
    assert upcoming["number"] == 2 and upcoming["effective_on"] == effective.isoformat()
    assert upcoming["changed_sections"] == [6, 7]


def test_from_the_effective_date_the_page_states_the_new_recipient_and_rule(system_actor, monkeypatch):
    effective = _announce_payroll_and_a_shorter_ceiling(system_actor)
    monkeypatch.setattr(timezone, "localdate", lambda *args: effective)
    response = Client().get(EN)
    assert "payroll service provider" in _section(response, 6)
    assert "retention period: 1 year." in _section(response, 7)
    assert "takes effect on" not in _normalised(_page_text(response))
