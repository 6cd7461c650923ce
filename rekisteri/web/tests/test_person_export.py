"""Exporting the person list from the UI: the form asks the recipient and the purpose, the
answer is the file, and the export is recorded as a disclosure."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from rekisteri.people import export
from rekisteri.people.tests.world import build_world
from rekisteri.privacy.models import Disclosure
from rekisteri.web.tests.conftest import events

pytestmark = pytest.mark.django_db

URL = reverse("web:person_export")


@pytest.fixture
def world(cast):
    return build_world(cast)


def form(**fields) -> dict:
    return {
        "format": "csv",
        "disclosure_purpose": "customer_relationship",
        "recipient_name": "Palvelu Oy",
        **fields,
    }


def test_the_export_page_describes_the_list_and_asks_recipient_and_purpose(login, cast, world):
    body = login(cast.crm).get(URL, {"q": "Vi", "category": "prospect_contact"}).content.decode()

    assert "Henkilöiden vienti" in body
    assert "<strong>Vi</strong>" in body
    assert "Prospektin yhteyshenkilö" in body  # the category filter, by its label
    assert 'name="disclosure_purpose"' in body and 'name="recipient_company"' in body
    assert "Virtanen" not in body  # the page itself shows nobody's data


def test_posting_the_form_answers_with_the_csv_of_the_list(login, cast, world):
    response = login(cast.crm).post(f"{URL}?q=vi&sort=-name", form())

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Sukunimi;Etunimi;Sähköposti;Puhelin")
    assert [line.split(";")[1] for line in lines[1:]] == ["Ville", "Anna"]


def test_an_xlsx_export_keeps_formula_like_values_as_text(login, cast, world):
    response = login(cast.privacy_officer).post(f"{URL}?q=zett", form(format="xlsx"))

    assert response["Content-Type"] == export.CONTENT_TYPES["xlsx"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    row = list(sheet.iter_rows())[1]
    assert [cell.value for cell in row[:3]] == ["Zetterberg", "Zoe", "=1+2@posti.example"]
    assert all(cell.data_type == "s" for cell in row if cell.value)


def test_the_export_is_recorded_as_a_disclosure_with_recipient_and_purpose(login, cast, world):
    login(cast.crm).post(
        f"{URL}?organization={world.aalto.pk}",
        form(disclosure_purpose="training", recipient_company=world.defsec.pk, recipient_name=""),
    )

    assert {d.person_id for d in Disclosure.objects.all()} == {world.asa.pk, world.aijo.pk}
    assert {d.recipient_company_id for d in Disclosure.objects.all()} == {world.defsec.pk}
    [event] = events(action="export")
    assert (event.origin, event.purpose, event.actor_user_id) == ("ui", "training", cast.crm.pk)
    detail = json.loads(event.detail)
    assert detail["recipient_company"] == world.defsec.pk
    assert detail["filters"] == ["organization_id"] and detail["rows"] == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"recipient_name": ""}, "Valitse konserniyhtiö tai kirjoita käsittelijän nimi."),
        ({"recipient_company": "1"}, "Nimeä yksi vastaanottaja"),
        ({"disclosure_purpose": ""}, "Tämä kenttä vaaditaan."),
    ],
)
def test_an_incomplete_form_is_shown_again_with_the_error_and_nothing_is_recorded(
    login, cast, world, fields, message
):
    response = login(cast.crm).post(f"{URL}?q=vi", form(**fields))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()
    assert not Disclosure.objects.exists() and not events(action="export")


def test_too_long_a_list_is_refused_with_a_message(login, cast, world, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_MAX_ROWS", 2)
    response = login(cast.crm).post(URL, form())

    assert "Lista on liian pitkä vietäväksi" in response.content.decode()
    assert not Disclosure.objects.exists()


def test_an_empty_list_is_refused_with_a_message(login, cast, world):
    response = login(cast.crm).post(f"{URL}?q=nobodyknows", form())

    assert "Listalla ei ole ketään vietävää." in response.content.decode()


def test_roles_that_may_not_export_are_refused(login, cast, world):
    for user in (cast.sales, cast.marketing, cast.trainer, cast.admin):
        assert login(user).get(URL).status_code == 403
        assert login(user).post(URL, form()).status_code == 403
    assert not Disclosure.objects.exists()
