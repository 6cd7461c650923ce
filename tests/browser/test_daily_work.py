"""The staff's daily work in a real browser, in Finnish: the person list (filter, sort), a
duplicate caught when a person is added twice, and the privacy officer's "Lähetetyt viestit"
(the local mailbox of the embedded mode) with a portal request's verification link."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from rekisteri.outbox.services import outbox_deliver
from rekisteri.people.models import Person
from rekisteri.people.services import person_create
from tests.browser.two_factor import give_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    give_second_factor(page, live_server.url, user.username)
    expect(page.locator("h1")).to_contain_text("Tervetuloa")


def test_the_person_list_filters_and_sorts_and_a_duplicate_is_caught(
    page, live_server, cast, person, system_actor
):
    for first, last in (("Ville", "Virtanen"), ("Aino", "Aaltonen"), ("Öljy", "Östman")):
        person_create(actor=system_actor, first_name=first, last_name=last, categories=["student"])
    _log_in(page, live_server, cast.sales)

    # The list, from the navigation; the students only, sorted by name A-Ö (Ö after Z).
    page.click("nav >> text=Henkilöt")
    expect(page.locator("h1")).to_have_text("Henkilöt")
    expect(page.locator(".person-table")).to_contain_text("Virtanen, Anna")
    page.click("text=Lisää rajauksia")
    page.select_option("#id_category", "student")
    page.click(".person-filters button[type=submit] >> text=Näytä")
    expect(page.locator(".person-table")).not_to_contain_text("Virtanen, Anna")
    page.click(".person-table thead >> text=Nimi")
    names = page.locator(".person-table tbody th a").all_inner_texts()
    assert names == ["Aaltonen, Aino", "Virtanen, Ville", "Östman, Öljy"]
    expect(page.locator(".person-table thead th[aria-sort=ascending]")).to_contain_text("Nimi")

    # Adding Anna again by her e-mail address: the existing card is offered, nothing saved.
    count = Person.objects.count()
    page.click("nav >> text=Uusi henkilö")
    page.fill("#id_first_name", "Anna")
    page.fill("#id_last_name", "Virtanen")
    page.fill("#id_email", "ANNA.virtanen@testi.fi")
    page.click("button[type=submit] >> text=Tallenna")
    warning = page.locator(".duplicate-warning")
    expect(warning).to_contain_text("Henkilö saattaa olla jo rekisterissä")
    expect(warning.locator(f"a[href='/people/{person.pk}/']")).to_be_visible()
    assert Person.objects.count() == count
    warning.locator(f"a[href='/people/{person.pk}/']").click()
    expect(page.locator("h1")).to_have_text("Anna Virtanen")


def test_the_privacy_officer_reads_a_verification_link_in_sent_mail(
    page, live_server, cast, settings, tmp_path
):
    settings.EMAIL_BACKEND = settings.MAIL_LOCAL_MAILBOX_BACKEND
    settings.MAIL_MAILBOX_DIR = tmp_path / "mailbox"
    settings.PUBLIC_BASE_URL = live_server.url

    page.goto(f"{live_server.url}/portal/")
    page.check("input[name=type][value=access]")
    page.fill("#id_email", "pyytaja@testi.fi")
    page.click("button[type=submit] >> text=Lähetä pyyntö")
    expect(page.locator("h1")).to_have_text("Tarkista sähköpostisi")
    assert outbox_deliver().sent == 1  # the worker's part

    _log_in(page, live_server, cast.privacy_officer)
    page.click("nav >> text=Lähetetyt viestit")
    expect(page.locator("h1")).to_have_text("Lähetetyt viestit")
    row = page.locator("tr", has_text="Portaalipyynnön vahvistuslinkki")
    expect(row).to_contain_text("Lähetetty")
    expect(row).to_contain_text("pyytaja@testi.fi")
    row.locator("a").first.click()
    link = page.locator(".mail-body a[href*='/portal/verify/']")
    expect(link).to_be_visible()

    link.click()
    expect(page.locator("h1")).to_have_text("Vahvista pyyntösi")
    page.click("button[type=submit] >> text=Vahvista pyyntö")
    expect(page.locator("h1")).to_have_text("Pyyntö vahvistettu")
