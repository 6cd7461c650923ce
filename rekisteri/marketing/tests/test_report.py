"""The campaign report: delivered, opened and clicked over time, as a server-drawn SVG chart
(no script, nothing from elsewhere: the CSP allows neither) and as a series in the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.marketing.models import ReadCount
from rekisteri.marketing.selectors import campaign_report
from rekisteri.marketing.services.campaigns import campaign_create, campaign_send
from rekisteri.marketing.services.consents import consent_give
from rekisteri.marketing.services.lists import subscription_add
from rekisteri.outbox.models import OutgoingMail
from rekisteri.people.services import person_create

pytestmark = pytest.mark.database


@pytest.fixture
def sent(system_actor, newsletter):
    for name in ("Aino", "Eino", "Oona"):
        person = person_create(
            actor=system_actor, first_name=name, last_name="Lukija", email=f"{name.lower()}@lukija.example"
        )
        consent_give(actor=system_actor, person=person, topic=newsletter, channel="paper")
        subscription_add(actor=system_actor, person=person, topic=newsletter)
    campaign = campaign_create(actor=system_actor, topic=newsletter, subject="Hei", body_markdown="Moi")
    campaign_send(actor=system_actor, campaign=campaign)
    return campaign


def _hour(offset: int):
    base = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=10)
    return base + timedelta(hours=offset)


def _spread(campaign, *, read_offset: int) -> None:
    """Deliveries in hour 0 (two) and hour 1 (one); opens and clicks `read_offset` hours on."""
    mails = list(OutgoingMail.objects.filter(about_type="campaign", about_id=str(campaign.pk)).order_by("pk"))
    for mail, hour in zip(mails, (0, 0, 1), strict=True):
        OutgoingMail.objects.filter(pk=mail.pk).update(sent_at=_hour(hour) + timedelta(minutes=20))
    ReadCount.objects.create(campaign=campaign, kind="open", hour=_hour(read_offset), count=2)
    ReadCount.objects.create(campaign=campaign, kind="click", hour=_hour(read_offset), count=1)


def test_the_series_is_hourly_with_empty_hours_in_between(sent):
    _spread(sent, read_offset=3)
    report = campaign_report(sent)
    assert report["bucket"] == "hour"
    assert [(p["delivered"], p["opened"], p["clicked"]) for p in report["series"]] == [
        (2, 0, 0),
        (1, 0, 0),
        (0, 0, 0),
        (0, 2, 1),
    ]
    assert report["series"][0]["start"] == _hour(0)


def test_a_campaign_read_over_weeks_is_reported_by_day(sent):
    _spread(sent, read_offset=24 * 10)
    report = campaign_report(sent)
    assert report["bucket"] == "day" and len(report["series"]) >= 10
    assert sum(p["delivered"] for p in report["series"]) == 3
    assert report["series"][-1]["opened"] == 2 and report["series"][-1]["clicked"] == 1
    for point in report["series"]:  # Helsinki midnights
        local = timezone.localtime(point["start"])
        assert (local.hour, local.minute) == (0, 0)


def test_the_api_gives_the_series(cast, api_as, sent):
    _spread(sent, read_offset=2)
    response = api_as(cast.privacy_officer).get(f"/campaigns/{sent.pk}/report")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["bucket"] == "hour"
    assert [(p["delivered"], p["opened"], p["clicked"]) for p in body["series"]] == [
        (2, 0, 0),
        (1, 0, 0),
        (0, 2, 1),
    ]
    assert api_as(cast.marketing).get("/campaigns/999999/report").status_code == 404
    assert api_as(cast.sales).get(f"/campaigns/{sent.pk}/report").status_code == 403


def test_the_report_page_draws_the_chart_as_inline_svg(cast, sent):
    _spread(sent, read_offset=2)
    client = Client()
    client.force_login(cast.marketing, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/marketing/{sent.pk}/").content.decode()
    svg = re.search(r"<svg .*?</svg>", page, re.S).group(0)
    assert svg.count("<polyline") == 3  # delivered, opened, clicked
    assert "<script" not in svg
    # The page's own scripts only, none from a CDN, none inline.
    assert set(re.findall(r"<script([^>]*)>", page)) <= {
        ' src="/static/vendor/htmx.min.js" defer',
        ' src="/static/js/app.js" defer',
    }
    # Nothing loaded from elsewhere: the only URL in the chart is the SVG namespace.
    assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]
    assert "style=" not in svg
    assert "<title" in svg  # named for screen readers; the table beside it has the numbers
    table = re.search(r"<table class=\"table\"><caption>.*?</table>", page, re.S).group(0)
    assert table.count('<tr><th scope="row">') == 3
