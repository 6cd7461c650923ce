"""Section 1: the privacy officer edits the controller, the representative and the authority;
each change is audited and makes a notice draft."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from rekisteri.audit.models import AuditEvent
from rekisteri.notice.models import NoticeVersion
from rekisteri.notice.selectors import draft_get
from rekisteri.notice.services import controller_update, version_publish
from rekisteri.privacy.models import GroupCompany

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    "/notice/",
    "/notice/controller/",
    "/notice/authority/",
    "/notice/promises/",
]


def _login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _controller_post(**changes) -> dict:
    company = GroupCompany.objects.get(is_controller=True)
    data = {
        name: getattr(company, name)
        for name in (
            "name",
            "business_id",
            "street_address",
            "postal_code",
            "city",
            "phone",
            "email",
            "representative_name",
            "representative_title",
            "representative_phone",
            "representative_email",
            "representative_postal_address",
        )
    }
    return {**data, **changes}


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_only_the_privacy_officer_opens_the_notice_pages(cast, path):
    assert _login(cast.privacy_officer).get(path).status_code == 200
    for user in (cast.sales, cast.crm, cast.marketing, cast.trainer, cast.admin):
        assert _login(user).get(path).status_code == 403, user
    assert Client().get(path).status_code == 302  # to the login page
    assert _login(cast.sales_no_nda).get(path).status_code == 403


@pytest.mark.parametrize("path", ["/notice/draft/", "/notice/publish/", "/notice/controller/"])
def test_nobody_else_can_change_the_notice(cast, path):
    for user in (cast.sales, cast.crm, cast.marketing, cast.trainer, cast.admin):
        assert _login(user).post(path, {}).status_code == 403, user
    assert not NoticeVersion.objects.exists()


def test_the_privacy_officer_changes_the_representative_audited_and_drafted(cast):
    client = _login(cast.privacy_officer)
    response = client.post(
        "/notice/controller/",
        _controller_post(representative_name="Liisa Laine", representative_email="liisa.laine@insta.fi"),
    )
    assert response.status_code == 302
    company = GroupCompany.objects.get(is_controller=True)
    assert company.representative_name == "Liisa Laine"
    event = AuditEvent.objects.filter(object_type="group_company").latest("seq")
    assert event.actor_user_id == cast.privacy_officer.pk
    assert json.loads(event.detail)["fields"] == ["representative_name", "representative_email"]
    assert "Liisa" not in str(event.detail)  # names of fields, never values
    draft = draft_get()
    assert draft is not None and draft.reasons == ["controller"]
    assert "Liisa Laine" in draft.text_fi and "Tero Leppänen" not in draft.text_fi
    # The staff page shows the change against the newest version (none yet: all of it).
    page = client.get("/notice/").content.decode()
    assert "Liisa Laine" in page


def test_the_public_page_shows_the_change_only_once_published_and_in_effect(cast, system_actor):
    version_publish(actor=system_actor, effective_on=_today(), summary="First version")
    controller_update(actor=system_actor, values={"city": "Espoo"})
    assert "Espoo" in draft_get().text_fi
    public = Client().get("/tietosuojaseloste/").content.decode()
    assert "Espoo" not in public and "FI-33901 Tampere" in public


def test_an_unchanged_save_records_nothing(cast):
    client = _login(cast.privacy_officer)
    before = AuditEvent.objects.count()
    assert client.post("/notice/controller/", _controller_post()).status_code == 302
    assert AuditEvent.objects.count() == before
    assert draft_get() is None


def test_a_bad_address_is_refused_with_the_field(cast):
    client = _login(cast.privacy_officer)
    response = client.post("/notice/controller/", _controller_post(email="not an address"))
    assert response.status_code == 200
    assert "field--invalid" in response.content.decode()
    assert GroupCompany.objects.get(is_controller=True).email == "security.support@insta.fi"


def test_the_controller_cannot_take_a_group_companys_name(cast):
    response = _login(cast.privacy_officer).post("/notice/controller/", _controller_post(name="Insta ILS Oy"))
    assert response.status_code == 200
    assert GroupCompany.objects.get(is_controller=True).name == "Insta Group Oy"


def test_the_privacy_officer_edits_the_authority(cast):
    client = _login(cast.privacy_officer)
    form = client.get("/notice/authority/").content.decode()
    assert "Lintulahdenkuja 4" in form  # the deployment's default, shown for editing
    data = {
        "authority_name_fi": "Tietosuojavaltuutetun toimisto",
        "authority_name_en": "Office of the Data Protection Ombudsman",
        "authority_street_address": "Ratapihantie 9, 00520 Helsinki",
        "authority_postal_address": "PL 800, 00531 Helsinki",
        "authority_phone": "029 566 6700",
        "authority_email": "tietosuoja@om.fi",
        "authority_url": "https://tietosuoja.fi",
    }
    assert client.post("/notice/authority/", data).status_code == 302
    assert "Ratapihantie 9" in draft_get().text_fi
    event = AuditEvent.objects.filter(object_type="notice_settings").latest("seq")
    assert json.loads(event.detail)["fields"] == ["authority_street_address"]


def _today():
    from django.utils import timezone

    return timezone.localdate()


def test_a_refusal_names_the_authority_the_notice_names(system_actor):
    from rekisteri.notice.services import authority_update
    from rekisteri.outbox.models import OutgoingMail
    from rekisteri.rights.authority import supervisory_authority
    from rekisteri.rights.models import RefusalKind
    from rekisteri.rights.services import request_create, request_refuse

    authority_update(
        actor=system_actor, values={"authority_street_address": "Ratapihantie 9, 00520 Helsinki"}
    )
    assert supervisory_authority()["street_address"] == "Ratapihantie 9, 00520 Helsinki"
    request = request_create(actor=system_actor, type="access", channel="email", email="maija@testi.fi")
    request_refuse(actor=system_actor, request=request, kind=RefusalKind.values[0], reason="Ei perustetta.")
    mail = OutgoingMail.objects.get(kind="refused")
    assert "Ratapihantie 9, 00520 Helsinki" in mail.body_text
