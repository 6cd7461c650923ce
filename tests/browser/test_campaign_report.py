"""The campaign report in a real browser: the marketer schedules a campaign from the form,
and the sent campaign's report draws its chart as inline SVG with no console error (the
CSP would report a script or style it refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rekisteri.marketing.models import Campaign, ReadCount
from rekisteri.marketing.services.campaigns import campaign_create, campaign_send
from rekisteri.marketing.services.consents import consent_give, topic_create
from rekisteri.marketing.services.lists import subscription_add
from tests.browser.test_daily_work import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_campaign_is_scheduled_and_a_sent_ones_report_is_drawn(
    page, live_server, cast, person, system_actor
):
    topic = topic_create(actor=system_actor, slug="uutiset", name_fi="Uutiset", name_en="News")
    consent_give(actor=system_actor, person=person, topic=topic, channel="paper")
    subscription_add(actor=system_actor, person=person, topic=topic)
    sent = campaign_create(actor=system_actor, topic=topic, subject="Lähetetty", body_markdown="Moi")
    campaign_send(actor=system_actor, campaign=sent)
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    ReadCount.objects.create(campaign=sent, kind="open", hour=hour + timedelta(hours=1), count=1)
    _log_in(page, live_server, cast.marketing)

    page.goto(f"{live_server.url}/marketing/new/")
    page.select_option("#id_topic", "uutiset")
    page.fill("#id_subject", "Syyskuun kirje")
    page.fill("#id_body_markdown", "# Hei")
    at = (timezone.localtime() + timedelta(days=1)).replace(second=0, microsecond=0)
    page.fill("#id_scheduled_at", at.strftime("%Y-%m-%dT%H:%M"))
    page.click("button[type=submit] >> text=Tallenna luonnoksena")
    expect(page.locator("h1")).to_have_text("Syyskuun kirje")
    scheduled = Campaign.objects.get(subject="Syyskuun kirje")
    assert scheduled.status == "scheduled" and scheduled.scheduled_at == at

    page.goto(f"{live_server.url}/marketing/{sent.pk}/")
    chart = page.locator("figure.chart svg")
    expect(chart).to_be_visible()
    assert chart.locator("polyline").count() == 3
    expect(page.locator("figure.chart table")).to_contain_text("Toimitettu")
    assert page.console_errors == []
