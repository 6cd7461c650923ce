"""A trainer's day in a real browser, in Finnish: open their course instance, enroll a
student, mark attendance, grade, change the grade with a reason, issue a certificate and
download it; then anyone checks the certificate's code on the public page."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from rekisteri.privacy.models import GroupCompany
from rekisteri.training.models import Certificate, Result, ResultChange
from rekisteri.training.services import course_create, instance_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_trainer_grades_an_instance_and_issues_a_certificate(
    page, live_server, cast, student, organization, system_actor
):
    course = course_create(
        actor=system_actor,
        code="TT-1",
        name_fi="Työturvallisuus",
        name_en="Work safety",
        company=GroupCompany.objects.get(is_controller=True),
    )
    instance_create(
        actor=system_actor,
        course=course,
        starts_on=date(2026, 11, 2),
        ends_on=date(2026, 11, 3),
        trainers=[cast.trainer.username],
        place="Tampere",
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", cast.trainer.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Tervetuloa")

    page.click("nav >> text=Koulutus")
    expect(page.locator("h1")).to_have_text("Koulutus")
    page.click("text=TT-1 Työturvallisuus")
    expect(page.locator("h1")).to_have_text("TT-1 Työturvallisuus")

    # Enroll Oona under her organization.
    page.select_option("#id_person", label="Oona Kurssila")
    page.select_option("#id_organization", label="Tampereen Testi Oy")
    page.click("button >> text=Ilmoita")
    row = page.locator("tr[data-participant='Oona Kurssila']")
    expect(row).to_contain_text("Ilmoittautunut")

    row.locator("button >> text=Merkitse osallistuneeksi").click()
    row = page.locator("tr[data-participant='Oona Kurssila']")
    expect(row).to_contain_text("Osallistunut")

    # Grade: passed.
    row.locator("summary >> text=Arvosana").click()
    row.locator("select[name$='-grade']").select_option("pass")
    row.locator("input[name$='-completed_on']").fill("2026-11-03")
    row.locator("input[name$='-passed']").check()
    row.locator("button >> text=Tallenna arvosana").click()
    expect(page.locator(".messages")).to_contain_text("Arvosana tallennettiin")
    row = page.locator("tr[data-participant='Oona Kurssila']")
    expect(row).to_contain_text("Suorittanut")

    # A change without a reason is refused; with one it is saved and kept.
    row.locator("summary >> text=Muuta arvosanaa").click()
    row.locator("select[name$='-grade']").select_option("fail")
    row.locator("input[name$='-passed']").uncheck()
    row.locator("button >> text=Tallenna arvosana").click()
    assert Result.objects.get().grade == "pass"
    row = page.locator("tr[data-participant='Oona Kurssila']")
    row.locator("summary >> text=Muuta arvosanaa").click()
    row.locator("select[name$='-grade']").select_option("pass")
    row.locator("input[name$='-completed_on']").fill("2026-11-02")
    row.locator("input[name$='-passed']").check()
    row.locator("textarea[name$='-reason'], input[name$='-reason']").fill("Päivämäärä korjattu")
    row.locator("button >> text=Tallenna arvosana").click()
    expect(page.locator(".messages")).to_contain_text("Arvosana tallennettiin")
    assert ResultChange.objects.get().reason == "Päivämäärä korjattu"

    # The certificate.
    row = page.locator("tr[data-participant='Oona Kurssila']")
    row.locator("button >> text=Myönnä todistus").click()
    certificate = Certificate.objects.get()
    expect(page.locator(".messages")).to_contain_text(f"Todistus {certificate.number} myönnettiin")
    link = page.locator("tr[data-participant='Oona Kurssila'] a", has_text=certificate.number)
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    with open(path, "rb") as file:
        assert file.read(5) == b"%PDF-"

    # The public check: valid, nothing else.
    page.goto(f"{live_server.url}/portal/certificate/")
    page.fill("#code", certificate.verification_code)
    page.click("button >> text=Tarkista")
    expect(page.locator("[data-result]")).to_have_text("Voimassa")
    expect(page.locator("main")).not_to_contain_text("Kurssila")
    assert page.console_errors == []
