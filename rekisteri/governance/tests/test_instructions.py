"""Written staff instructions (section 11): versioned (fi/en), acknowledged before any personal
data, a new version asks again, shown with the NDA gate; the API is held to the same rule."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_staff
from rekisteri.accounts.models import Role
from rekisteri.accounts.services import token_create
from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.governance.models import InstructionAcknowledgement, StaffInstruction
from rekisteri.governance.selectors import current_instruction, instructions_pending
from rekisteri.governance.services import instruction_publish

pytestmark = pytest.mark.django_db


def _newcomer():
    user = make_staff("uusi.myyja", Role.SALES, date(2024, 1, 15))
    InstructionAcknowledgement.objects.filter(user=user).delete()
    return user


def _publish(actor_user):
    return instruction_publish(
        actor=Actor.for_user(actor_user, "ui"),
        title_fi="Ohjeet 2",
        title_en="Instructions 2",
        body_fi="Uusi kohta.",
        body_en="A new point.",
    )


def test_a_register_starts_with_version_one_in_finnish_and_english(db):
    current = current_instruction()
    assert current.version == 1
    assert "Salassapitositoumuksesi" in current.body_fi and "confidentiality agreement" in current.body_en


def test_a_member_is_led_to_the_instructions_before_any_personal_data(db):
    user = _newcomer()
    client = Client()
    client.force_login(user)

    response = client.get("/people/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:instructions"))
    page = client.get(response.url).content.decode()
    assert "Olen lukenut ohjeet ja noudatan niitä" in page
    assert "Käsittele rekisterin henkilötietoja vain työtehtävääsi varten" in page

    response = client.post(reverse("web:instructions"), {"version": "1", "next": "/people/"})
    assert response.status_code == 302 and response.url == "/people/"
    assert client.get("/people/").status_code == 200
    event = AuditEvent.objects.get(action="acknowledge")
    assert event.object_type == "staff_instruction" and event.actor_user_id == user.pk


def test_the_instructions_are_shown_in_english_too(db):
    client = Client()
    client.force_login(_newcomer())
    client.cookies["django_language"] = "en"

    body = client.get(reverse("web:instructions")).content.decode()

    assert "Instructions for staff on processing personal data" in body
    assert "I have read the instructions and will follow them" in body


def test_a_new_version_must_be_acknowledged_again(cast):
    client = Client()
    client.force_login(cast.sales)
    assert client.get("/people/").status_code == 200

    _publish(cast.privacy_officer)

    assert instructions_pending(cast.sales)
    assert client.get("/people/").status_code == 302
    # Acknowledging an old version does not count.
    client.post(reverse("web:instructions"), {"version": "1"})
    assert client.get("/people/").status_code == 302
    client.post(reverse("web:instructions"), {"version": "2"})
    assert client.get("/people/").status_code == 200


def test_the_api_refuses_until_the_instructions_are_acknowledged(db):
    user = _newcomer()
    _token, raw = token_create(actor=Actor.system("test"), user=user)

    response = Client().get("/api/v1/organizations", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 403
    assert response.json()["code"] == "no_personal_data_access"


def test_the_nda_gate_shows_both_the_agreement_and_the_instructions(cast):
    client = Client()
    client.force_login(cast.sales_no_nda)

    page = client.get("/").content.decode()
    assert "salassapitositoumus" in page.lower()
    assert reverse("web:instructions") in page
    # Reading them is open without an NDA; the page says what else is missing.
    body = client.get(reverse("web:instructions")).content.decode()
    assert "Henkilötietojen käsittelyn ohjeet henkilöstölle" in body


def test_the_privacy_officer_publishes_a_new_version(cast):
    client = Client()
    client.force_login(cast.privacy_officer)
    data = {"title_fi": "Ohjeet", "title_en": "Instructions", "body_fi": "Teksti", "body_en": "Text"}

    response = client.post(reverse("web:instruction_new"), data)

    assert response.status_code == 302
    assert StaffInstruction.objects.order_by("-version").first().version == 2
    assert AuditEvent.objects.filter(action="create", object_type="staff_instruction").count() == 1
    # The officer too must acknowledge the new version.
    assert client.get("/requests/").status_code == 302


def test_only_the_privacy_officer_publishes(cast):
    client = Client()
    client.force_login(cast.admin)

    assert client.get(reverse("web:instruction_new")).status_code == 403
