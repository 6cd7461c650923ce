"""POST /api/v1/persons/export: a list or search result as CSV or XLSX, recorded as a disclosure."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from rekisteri.api.tests.conftest import api_events, assert_error
from rekisteri.people import export
from rekisteri.people.models import Person
from rekisteri.people.tests.world import build_world
from rekisteri.privacy.models import Disclosure

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    return build_world(cast)


def body(**fields) -> dict:
    return {
        "format": "csv",
        "disclosure_purpose": "customer_relationship",
        "recipient_name": "Palveluntarjoaja Oy",
        **fields,
    }


def _csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the UTF-8 by its byte-order mark
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_a_csv_export_holds_the_list_sorted_by_name_in_finnish(cast, api_as, world):
    response = api_as(cast.crm).post("/persons/export", body(organization_id=world.aalto.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="henkilot-')
    header, *rows = _csv_rows(response)
    assert header == [
        "Sukunimi",
        "Etunimi",
        "Sähköposti",
        "Puhelin",
        "Organisaatio",
        "Asema",
        "Ryhmät",
        "Henkilön tunniste",
    ]
    assert rows == [
        [
            "Åberg",
            "Åsa",
            "asa.aberg@aalto.example",
            "'+358505551234",
            "Aalto Koulutus Oy",
            "",
            "Opiskelija",
            str(world.asa.pk),
        ],
        [
            "Ärölä",
            "Äijö",
            "",
            "'+35891234567",
            "Aalto Koulutus Oy",
            "",
            "Asiakkaan edustaja",
            str(world.aijo.pk),
        ],
    ]


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_get_an_apostrophe(cast, api_as, world):
    response = api_as(cast.crm).post("/persons/export", body(q="zett"))

    [_header, row] = _csv_rows(response)
    assert row[:4] == ["Zetterberg", "Zoe", "'=1+2@posti.example", ""]
    assert row[5] == '\'=HYPERLINK("x")'
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row)


@pytest.mark.parametrize("value", ["=SUM(A1)", "+1", "-1", "@A1", "\tx", "\rx"])
def test_the_formula_guard_covers_every_dangerous_first_character(value):
    assert export.csv_safe(value) == "'" + value
    assert export.csv_safe("Anna " + value) == "Anna " + value


def test_an_xlsx_export_stores_every_cell_as_text_never_as_a_formula(cast, api_as, world):
    response = api_as(cast.privacy_officer).post(
        "/persons/export",
        body(format="xlsx", q="vi", sort="-name", recipient_company_id=world.defsec.pk, recipient_name=""),
    )

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == export.CONTENT_TYPES["xlsx"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:2] == ["Sukunimi", "Etunimi"]
    assert [row[:2] for row in rows[1:]] == [["Virtanen", "Ville"], ["Virtanen", "Anna"]]
    assert rows[1][3] == "+358451234567"  # typed text: no apostrophe needed

    injected = api_as(cast.privacy_officer).post("/persons/export", body(format="xlsx", q="zett"))
    cells = list(load_workbook(io.BytesIO(injected.content)).active.iter_rows())[1]
    assert cells[2].value == "=1+2@posti.example" and cells[2].data_type == "s"
    assert cells[5].value == '=HYPERLINK("x")' and cells[5].data_type == "s"


def test_an_export_is_recorded_as_a_disclosure_of_each_person_with_one_audit_event(cast, api_as, world):
    api_as(cast.crm).post(
        "/persons/export",
        body(
            q="virt",
            disclosure_purpose="products_and_services",
            recipient_name="",
            recipient_company_id=world.defsec.pk,
        ),
    )

    disclosures = Disclosure.objects.order_by("person_id")
    assert {d.person_id for d in disclosures} == {world.anna.pk, world.ville.pk}
    assert all(
        d.recipient_company_id == world.defsec.pk and d.disclosed_by_id == cast.crm.pk for d in disclosures
    )
    assert disclosures[0].categories == sorted(export.EXPORTED_CATEGORIES)
    [event] = api_events(action="export")
    assert event.object_type == "person" and event.purpose == "products_and_services"
    assert set(json.loads(event.person_ids)) == {str(world.anna.pk), str(world.ville.pk)}
    detail = json.loads(event.detail)
    assert detail["recipient_company"] == world.defsec.pk
    assert (detail["format"], detail["rows"], detail["searched"], detail["sort"]) == ("csv", 2, True, "name")
    assert "virt" not in event.detail.lower()  # the search term is personal data: never recorded


def test_a_processor_recipient_is_named_in_the_disclosure_but_not_in_the_audit_trail(cast, api_as, world):
    api_as(cast.crm).post("/persons/export", body(q="@aalto.example"))

    [disclosure] = Disclosure.objects.all()
    assert disclosure.recipient_name == "Palveluntarjoaja Oy" and disclosure.recipient_company_id is None
    [event] = api_events(action="export")
    assert json.loads(event.detail)["recipient_company"] is None
    assert "Palveluntarjoaja" not in event.detail


def test_roles_without_the_export_permission_are_refused_and_nothing_is_recorded(cast, api_as, world):
    for user in (cast.sales, cast.marketing, cast.trainer, cast.admin):
        response = api_as(user).post("/persons/export", body())
        assert_error(response, 403)
    assert not Disclosure.objects.exists()
    assert not api_events(action="export")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"format": "pdf"}, "format"),
        ({"disclosure_purpose": "world_domination"}, "disclosure_purpose"),
        ({"recipient_name": ""}, "recipient"),
        ({"recipient_company_id": 999_999, "recipient_name": ""}, "recipient_company_id"),
        ({"recipient_company_id": 1}, "recipient"),
        ({"category": "vip"}, "category"),
        ({"purpose": "nope"}, "purpose"),
        ({"sort": "shoe_size"}, "sort"),
        ({"q": "nobody-with-this-name"}, None),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_export_requests_are_422_and_record_nothing(cast, api_as, world, fields, field):
    response = api_as(cast.crm).post("/persons/export", body(**fields))
    assert_error(response, 422, **({"field": field} if field else {}))
    assert not Disclosure.objects.exists()


def test_an_export_beyond_the_cap_is_refused(cast, api_as, world, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_MAX_ROWS", 5)
    response = api_as(cast.crm).post("/persons/export", body())
    assert_error(response, 422, field="export")
    assert not Disclosure.objects.exists()
    assert api_as(cast.crm).post("/persons/export", body(category="student")).status_code == 200


def test_restricted_persons_are_left_out_of_an_export(cast, api_as, world):
    Person.objects.filter(pk=world.anna.pk).update(restricted_at=world.anna.created_at)
    _header, *rows = _csv_rows(api_as(cast.crm).post("/persons/export", body(q="virt")))
    assert [row[1] for row in rows] == ["Ville"]


@pytest.mark.parametrize("value", ["", "nul\x00", "x" * 65])
def test_a_disclosure_purpose_that_cannot_be_a_slug_is_a_422(cast, api_as, world, value):
    response = api_as(cast.crm).post("/persons/export", body(disclosure_purpose=value))
    assert_error(response, 422, field="disclosure_purpose")


def test_an_export_to_a_processor_the_notice_in_force_does_not_name_yet_is_a_rule_violation(
    cast, api_as, world, system_actor
):
    from datetime import timedelta

    from django.utils import timezone

    from rekisteri.notice.services import version_publish
    from rekisteri.privacy.configuration import recipient_create

    today = timezone.localdate()
    version_publish(actor=system_actor, effective_on=today, summary="First")
    recipient_create(
        actor=system_actor,
        kind="processor",
        name="Palveluntarjoaja Oy",
        service_fi="Palkat",
        service_en="Payroll",
    )
    effective = today + timedelta(days=30)
    version_publish(actor=system_actor, effective_on=effective, summary="Payroll", significant=True)
    response = api_as(cast.crm).post("/persons/export", body(q="@aalto.example"))
    error = assert_error(response, 422, field="recipient", code="rule_violation")
    assert effective.isoformat() in json.dumps(error)
    assert not Disclosure.objects.exists()
