"""The everyday flow in a real browser: log in, search as you type, create a person."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, persons_named
from rekisteri.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/rk-card.png"


def test_log_in_search_and_create_a_person_after_fixing_an_invalid_phone(page, live_server, cast, person):
    # Log in (the UI is Finnish by default).
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", cast.sales.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Tervetuloa")

    # Search as you type: htmx fetches the results fragment without a page load.
    page.goto(f"{live_server.url}/search/")
    page.locator("#q").press_sequentially("Virta", delay=30)
    expect(page.locator("#search-results")).to_contain_text("Virtanen, Anna")
    assert page.url.endswith("/search/")

    # Create a person with an invalid phone number: the error is shown and nothing is saved.
    count = Person.objects.count()
    page.click("nav >> text=Uusi henkilö")
    page.fill("#id_first_name", "Mikko")
    page.fill("#id_last_name", "Koskinen")
    page.fill("#id_email", "mikko.koskinen@example.fi")
    page.fill("#id_phone", "040 12")
    page.fill("#id_organization", "Tampereen Testi Oy (2077474-0)")
    page.check("text=Prospektin yhteyshenkilö")
    page.click("button[type=submit] >> text=Tallenna")
    expect(page.locator("#id_phone_error")).to_contain_text("Puhelinnumero ei kelpaa")
    expect(page.locator("#id_phone")).to_have_attribute("aria-invalid", "true")
    assert Person.objects.count() == count

    # Correct it: saved, and the card shows the person.
    page.fill("#id_phone", "040 772 3002")
    page.click("button[type=submit] >> text=Tallenna")
    expect(page.locator("h1")).to_have_text("Mikko Koskinen")
    assert Person.objects.count() == count + 1
    [created] = persons_named("Koskinen")
    assert created.phone == "+358407723002"
    assert created.organization_id == person.organization_id

    # Add an interaction from the card, then look at the card.
    page.fill("#interaction_text", "Tapasimme messuilla; kiinnostunut koulutuksista.")
    page.click("text=Lisää historiaan")
    expect(page.locator("#history")).to_contain_text("Tapasimme messuilla")
    page.screenshot(path=SCREENSHOT, full_page=True)

    # The new person appears in the as-you-type search.
    page.goto(f"{live_server.url}/search/")
    page.locator("#q").press_sequentially("Koski", delay=30)
    expect(page.locator("#search-results")).to_contain_text("Koskinen, Mikko")

    # htmx ran under the Content-Security-Policy without violations.
    assert not [error for error in page.console_errors if "Content Security Policy" in error]
