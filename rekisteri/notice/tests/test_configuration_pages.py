"""Sections 2 and 6: the privacy officer lists, adds, changes and removes the purposes, the
group companies and the recipients in the staff UI; each change is audited and shows in the
notice draft, and something still in use cannot be removed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.notice.selectors import draft_get
from rekisteri.notice.services import version_publish
from rekisteri.people.services import person_create
from rekisteri.privacy import configuration
from rekisteri.privacy.models import Disclosure, GroupCompany, Purpose, Recipient
from rekisteri.privacy.services import basis_set

pytestmark = pytest.mark.django_db

LISTS = ["/notice/purposes/", "/notice/group-companies/", "/notice/recipients/"]
NEW = ["/notice/purposes/new/", "/notice/group-companies/new/", "/notice/recipients/new/"]


def _login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def officer(cast) -> Client:
    return _login(cast.privacy_officer)


@pytest.fixture
def published(system_actor):
    """The default configuration published as version 1, in force today: no draft left."""
    version = version_publish(actor=system_actor, effective_on=timezone.localdate(), summary="First")
    assert draft_get() is None
    return version


def _draft_says(fi: str, en: str) -> bool:
    draft = draft_get()
    return draft is not None and fi in draft.text_fi and en in draft.text_en


def _recipient_post(**changes) -> dict:
    data = {
        "kind": "processor",
        "name": "Postituspalvelu Oy",
        "service_fi": "Uutiskirjeiden lähetys",
        "service_en": "Sending newsletters",
        "data_location": "EU/ETA (Suomi)",
        "dpa_signed_on": "2026-03-01",
        "review_on": "2027-03-01",
        "position": "5",
    }
    return {**data, **changes}


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LISTS + NEW)
def test_only_the_privacy_officer_opens_the_configuration_pages(cast, path):
    assert _login(cast.privacy_officer).get(path).status_code == 200
    for user in (cast.sales, cast.crm, cast.marketing, cast.trainer, cast.admin, cast.sales_no_nda):
        assert _login(user).get(path).status_code == 403, user
    assert Client().get(path).status_code == 302  # to the login page


def test_nobody_else_can_change_the_configuration(cast):
    purpose = Purpose.objects.first()
    recipient = Recipient.objects.filter(group_company=None).first() or Recipient.objects.first()
    company = GroupCompany.objects.filter(is_controller=False).first()
    before = (Purpose.objects.count(), GroupCompany.objects.count(), Recipient.objects.count())
    posts = [
        (
            "/notice/purposes/new/",
            {"slug": "events", "name_fi": "Tapahtumat", "name_en": "Events", "position": 9},
        ),
        (f"/notice/purposes/{purpose.pk}/", {"name_fi": "X", "name_en": "X", "position": 0}),
        (f"/notice/purposes/{purpose.pk}/delete/", {}),
        ("/notice/group-companies/new/", {"name": "Insta Uusi Oy"}),
        (f"/notice/group-companies/{company.pk}/delete/", {}),
        ("/notice/recipients/new/", _recipient_post()),
        (f"/notice/recipients/{recipient.pk}/", _recipient_post(active="")),
        (f"/notice/recipients/{recipient.pk}/delete/", {}),
    ]
    for user in (cast.sales, cast.crm, cast.marketing, cast.trainer, cast.admin):
        for path, data in posts:
            assert _login(user).post(path, data).status_code == 403, (user, path)
    assert before == (Purpose.objects.count(), GroupCompany.objects.count(), Recipient.objects.count())
    assert purpose.name_fi == Purpose.objects.get(pk=purpose.pk).name_fi


def test_the_notice_page_links_the_configuration_pages(officer):
    body = officer.get("/notice/").content.decode()
    for path in LISTS:
        assert f'href="{path}"' in body


@pytest.mark.parametrize("path", LISTS)
def test_a_list_page_reads_the_same_number_of_queries_however_long_the_list(officer, system_actor, path):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert officer.get(path).status_code == 200
        return len(captured)

    before = queries()
    for n in range(3):
        configuration.purpose_create(actor=system_actor, slug=f"p{n}", name_fi=f"T{n}", name_en=f"P{n}")
        configuration.group_company_create(actor=system_actor, name=f"Insta {n} Oy")
        configuration.recipient_create(
            actor=system_actor, kind="processor", name=f"K{n} Oy", service_fi=f"S{n}", service_en=f"S{n}"
        )
    assert queries() == before


# --- purposes --------------------------------------------------------------------------------


def test_the_privacy_officer_adds_changes_and_removes_a_purpose(cast, officer, published):
    page = officer.get("/notice/purposes/").content.decode()
    for purpose in Purpose.objects.all():
        assert purpose.name_fi in page
    response = officer.post(
        "/notice/purposes/new/",
        {"slug": "events", "name_fi": "Tapahtumat", "name_en": "Events", "description_fi": "", "position": 9},
    )
    assert response.status_code == 302 and response.url == "/notice/purposes/"
    events = Purpose.objects.get(slug="events")
    assert _draft_says("Tapahtumat", "Events")
    event = AuditEvent.objects.filter(object_type="purpose", action="create").latest("seq")
    assert (event.actor_user_id, event.origin) == (cast.privacy_officer.pk, "ui")
    assert "Tapahtumat" in officer.get("/notice/purposes/").content.decode()

    response = officer.post(
        f"/notice/purposes/{events.pk}/",
        {"name_fi": "Seminaarit", "name_en": "Seminars", "description_en": "Our seminars", "position": 9},
    )
    assert response.status_code == 302
    events.refresh_from_db()
    assert (events.slug, events.name_fi, events.description_en) == ("events", "Seminaarit", "Our seminars")
    assert _draft_says("Seminaarit", "Seminars") and not _draft_says("Tapahtumat", "Events")

    assert officer.get(f"/notice/purposes/{events.pk}/delete/").status_code == 200
    assert Purpose.objects.filter(pk=events.pk).exists()  # asking removes nothing
    assert officer.post(f"/notice/purposes/{events.pk}/delete/").status_code == 302
    assert not Purpose.objects.filter(slug="events").exists()
    assert AuditEvent.objects.filter(object_type="purpose", action="delete").exists()


def test_a_purpose_with_legal_bases_is_not_removed(officer, system_actor):
    purpose = Purpose.objects.first()
    person = person_create(actor=system_actor, first_name="Venla", last_name="Virtanen")
    basis_set(actor=system_actor, person=person, purpose=purpose, basis="contract")
    response = officer.post(f"/notice/purposes/{purpose.pk}/delete/")
    assert response.status_code == 422
    assert "Tälle käyttötarkoitukselle on kirjattu käsittelyperusteita" in response.content.decode()
    assert Purpose.objects.filter(pk=purpose.pk).exists()


def test_bad_purpose_input_gives_form_errors_and_writes_nothing(officer):
    existing = Purpose.objects.first()
    count = Purpose.objects.count()
    events = AuditEvent.objects.count()
    response = officer.post(
        "/notice/purposes/new/", {"slug": "Not a code!", "name_fi": "", "name_en": "X", "position": -1}
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert {"slug", "name_fi", "position"} <= set(errors)
    response = officer.post(
        "/notice/purposes/new/", {"slug": existing.slug, "name_fi": "Kopio", "name_en": "Copy", "position": 0}
    )
    assert response.status_code == 422
    assert "Tällä koodilla on jo käyttötarkoitus." in response.context["form"].errors["slug"]
    assert Purpose.objects.count() == count and AuditEvent.objects.count() == events
    assert draft_get() is None or "Kopio" not in draft_get().text_fi


def test_the_pages_speak_english_too(officer):
    existing = Purpose.objects.first()
    officer.post("/i18n/setlang/", {"language": "en", "next": "/notice/purposes/"})
    page = officer.get("/notice/purposes/").content.decode()
    assert '<html lang="en">' in page and "New purpose" in page
    response = officer.post(
        "/notice/purposes/new/", {"slug": existing.slug, "name_fi": "Kopio", "name_en": "Copy", "position": 0}
    )
    assert "A purpose with this code exists already." in response.content.decode()


# --- group companies -------------------------------------------------------------------------


def test_the_privacy_officer_adds_renames_and_removes_a_group_company(officer, published):
    page = officer.get("/notice/group-companies/").content.decode()
    for company in GroupCompany.objects.all():
        assert company.name in page
    response = officer.post(
        "/notice/group-companies/new/", {"name": "Insta Uusi Oy", "business_id": "2077474-0"}
    )
    assert response.status_code == 302
    company = GroupCompany.objects.get(name="Insta Uusi Oy")
    assert company.business_id == "2077474-0" and company.recipient.kind == Recipient.Kind.GROUP_COMPANY
    assert _draft_says("Insta Uusi Oy", "Insta Uusi Oy")

    response = officer.post(
        f"/notice/group-companies/{company.pk}/", {"name": "Insta Toinen Oy", "business_id": ""}
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.name, company.business_id, company.recipient.name) == (
        "Insta Toinen Oy",
        "",
        "Insta Toinen Oy",
    )
    assert _draft_says("Insta Toinen Oy", "Insta Toinen Oy")

    assert officer.post(f"/notice/group-companies/{company.pk}/delete/").status_code == 302
    assert not GroupCompany.objects.filter(pk=company.pk).exists()
    assert not Recipient.objects.filter(name="Insta Toinen Oy").exists()
    assert not _draft_says("Insta Toinen Oy", "Insta Toinen Oy")


def test_a_bad_business_id_is_a_form_error(officer):
    count = GroupCompany.objects.count()
    response = officer.post(
        "/notice/group-companies/new/", {"name": "Insta Uusi Oy", "business_id": "1234567-8"}
    )
    assert response.status_code == 422
    assert "business_id" in response.context["form"].errors
    assert GroupCompany.objects.count() == count


def test_the_controller_is_edited_on_its_own_page(officer):
    controller = GroupCompany.objects.get(is_controller=True)
    assert officer.get(f"/notice/group-companies/{controller.pk}/").status_code == 404
    assert officer.post(f"/notice/group-companies/{controller.pk}/delete/").status_code == 404
    assert GroupCompany.objects.filter(pk=controller.pk).exists()


def test_a_company_that_received_data_stays(officer, system_actor):
    company = GroupCompany.objects.filter(is_controller=False).first()
    person = person_create(actor=system_actor, first_name="Venla", last_name="Virtanen")
    Disclosure.objects.create(person=person, recipient_company=company, categories=["name"])
    response = officer.post(f"/notice/group-companies/{company.pk}/delete/")
    assert response.status_code == 422
    assert "19 artikla" in response.content.decode()
    assert GroupCompany.objects.filter(pk=company.pk).exists()


# --- recipients ------------------------------------------------------------------------------


def test_the_privacy_officer_adds_changes_and_removes_a_processor(officer, published):
    page = officer.get("/notice/recipients/").content.decode()
    for recipient in Recipient.objects.all():
        assert recipient.name in page
    response = officer.post("/notice/recipients/new/", _recipient_post())
    assert response.status_code == 302 and response.url == "/notice/recipients/"
    recipient = Recipient.objects.get(name="Postituspalvelu Oy")
    assert recipient.kind == "processor" and recipient.dpa_signed_on.isoformat() == "2026-03-01"
    # The notice states processors by their service (section 6).
    assert _draft_says("Uutiskirjeiden lähetys", "Sending newsletters")
    assert AuditEvent.objects.filter(object_type="recipient", action="create").exists()

    response = officer.post(
        f"/notice/recipients/{recipient.pk}/",
        _recipient_post(
            service_fi="Kirjeiden tulostus",
            service_en="Printing letters",
            review_on="2028-01-01",
            active="on",
        ),
    )
    assert response.status_code == 302
    recipient.refresh_from_db()
    assert (recipient.service_en, recipient.review_on.isoformat(), recipient.active) == (
        "Printing letters",
        "2028-01-01",
        True,
    )
    assert _draft_says("Kirjeiden tulostus", "Printing letters")
    assert not _draft_says("Uutiskirjeiden lähetys", "Sending newsletters")

    # Switched off: the notice stops naming it.
    assert officer.post(f"/notice/recipients/{recipient.pk}/", _recipient_post()).status_code == 302
    recipient.refresh_from_db()
    assert recipient.active is False
    assert not _draft_says("Kirjeiden tulostus", "Printing letters")

    assert officer.post(f"/notice/recipients/{recipient.pk}/delete/").status_code == 302
    assert not Recipient.objects.filter(pk=recipient.pk).exists()


def test_an_authority_is_added_as_an_authority(officer):
    response = officer.post(
        "/notice/recipients/new/",
        _recipient_post(kind="authority", name="Verohallinto", service_fi="Verotus", service_en="Taxation"),
    )
    assert response.status_code == 302
    assert Recipient.objects.get(name="Verohallinto").kind == "authority"


def test_bad_recipient_input_gives_form_errors_and_writes_nothing(officer):
    count, events = Recipient.objects.count(), AuditEvent.objects.count()
    response = officer.post(
        "/notice/recipients/new/",
        _recipient_post(kind="group_company", service_en="", dpa_signed_on="eilen", review_on="2020-01-01"),
    )
    assert response.status_code == 422
    assert {"kind", "service_en", "dpa_signed_on"} <= set(response.context["form"].errors)
    response = officer.post("/notice/recipients/new/", _recipient_post(review_on="2020-01-01"))
    assert response.status_code == 422 and "review_on" in response.context["form"].errors
    taken = Recipient.objects.first().name
    response = officer.post("/notice/recipients/new/", _recipient_post(name=taken))
    assert response.status_code == 422 and "name" in response.context["form"].errors
    assert Recipient.objects.count() == count and AuditEvent.objects.count() == events


def test_a_group_companys_row_keeps_its_name_and_is_not_removed_here(officer):
    row = Recipient.objects.filter(kind=Recipient.Kind.GROUP_COMPANY).first()
    form = officer.get(f"/notice/recipients/{row.pk}/").context["form"]
    assert "name" not in form.fields and "kind" not in form.fields
    assert officer.post(f"/notice/recipients/{row.pk}/delete/").status_code == 404
    assert Recipient.objects.filter(pk=row.pk).exists()


def test_a_recipient_that_received_data_is_switched_off_instead(officer, system_actor):
    recipient = configuration.recipient_create(
        actor=system_actor,
        kind="processor",
        name="Postituspalvelu Oy",
        service_fi="Postitus",
        service_en="Mailing",
    )
    person = person_create(actor=system_actor, first_name="Venla", last_name="Virtanen")
    Disclosure.objects.create(person=person, recipient_name=recipient.name, categories=["email"])
    response = officer.post(f"/notice/recipients/{recipient.pk}/delete/")
    assert response.status_code == 422
    assert "poista se käytöstä" in response.content.decode()
    assert Recipient.objects.filter(pk=recipient.pk).exists()
