"""Art. 15: the access package, built from the personal-data registry, answered electronically."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from rekisteri.contacts.services import interaction_create, tracking_event_record
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.privacy import registry
from rekisteri.privacy.registry import PersonalDataModel, personal_data_models
from rekisteri.privacy.services import basis_set, source_add
from rekisteri.rights.fulfilment import (
    access_package,
    access_package_html,
    answer_content,
    request_fulfil,
    restriction_apply,
)
from rekisteri.rights.models import AnswerKind, Channel, RequestAnswer, RequestType, Status
from rekisteri.rights.services import LinkInvalid, TransitionRefused, link_use, request_create
from rekisteri.rights.tests.fulfil_helpers import (
    ANNA_EMAIL,
    assert_ids_only,
    events,
    html_of,
    mails_to,
    officer,
    verified_request,
)


@pytest.fixture
def anna(person, system_actor):
    """Anna with everything the register can hold on a customer contact."""
    basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
    basis_set(
        actor=system_actor,
        person=person,
        purpose="customer_relationship",
        basis="legitimate_interest",
        interest_ground="employer_relationship",
        justification="Työnantaja on asiakkaamme",
    )
    source_add(actor=system_actor, person=person, kind="public_source", detail="Yrityksen verkkosivut")
    interaction_create(actor=system_actor, person=person, kind="meeting", text="Tapaaminen Tampereella")
    # The meeting was the first communication: the Art. 14 information went then (notice's
    # first_communication); these tests look at the mails of the request alone.
    deliver_outbox().clear()
    # Individual newsletter tracking needs the person's consent (section 9).
    from rekisteri.marketing.services.consents import consent_give

    consent_give(actor=system_actor, person=person, topic="tracking", channel="web_form")
    tracking_event_record(
        actor=system_actor, person=person, kind="newsletter_open", reference="Uutiskirje 5/2025"
    )
    return person


def _section(package, label):
    return next(section for section in package["data"] if section["model"] == label)


def test_the_package_has_a_section_for_every_registered_model_that_exports(anna, cast):
    package = access_package(actor=officer(cast), person_id=anna.pk)

    exported = {entry.label for entry in personal_data_models() if entry.export is not None}
    assert {section["model"] for section in package["data"]} == exported
    assert "encryption.SearchTerm" not in {section["model"] for section in package["data"]}
    person_row = _section(package, "people.Person")["rows"][0]
    assert (person_row["first_name"], person_row["email"]) == ("Anna", ANNA_EMAIL)
    assert package["organization"]["name"] == "Tampereen Testi Oy"
    assert package["organization"]["business_id"] == "2077474-0"
    assert {row["purpose"] for row in _section(package, "privacy.ProcessingBasis")["rows"]} == {
        "direct_marketing",
        "customer_relationship",
    }
    assert _section(package, "privacy.DataSource")["rows"][0]["detail"] == "Yrityksen verkkosivut"
    assert _section(package, "contacts.Interaction")["rows"][0]["text"] == "Tapaaminen Tampereella"
    assert _section(package, "contacts.TrackingEvent")["rows"][0]["reference"] == "Uutiskirje 5/2025"
    assert [consent["purpose"] for consent in package["consents"]] == ["direct_marketing"]
    json.dumps(package)  # JSON-ready as it is


def test_the_package_carries_the_art_15_information(anna, cast, settings):
    info = access_package(actor=officer(cast), person_id=anna.pk)["information"]

    purposes = {item["purpose"]: item for item in info["purposes_and_legal_bases"]}
    assert purposes["customer_relationship"]["basis"] == "legitimate_interest"
    assert purposes["customer_relationship"]["name"]["fi"].startswith("Asiakassuhteen")
    assert purposes["direct_marketing"]["basis_label"] == {"fi": "Suostumus", "en": "Consent"}
    codes = {item["code"] for item in info["categories"]}
    assert {"name", "email", "phone", "contact_history", "tracking", "company_address"} <= codes
    assert len(info["recipients"]["group_companies"]) == 4
    assert [p["en"] for p in info["recipients"]["processors"]] == [
        "CRM system provider",
        "Training licence provider",
        "Marketing and newsletter service provider",
    ]
    assert "kahden vuoden" in info["retention"]["fi"]
    assert [source["kind"] for source in info["sources"]] == ["public_source"]
    assert {right["right"] for right in info["rights"]} >= {"access", "erasure", "portability", "complaint"}
    assert info["complaint"]["name_fi"] == settings.SUPERVISORY_AUTHORITY["name_fi"]
    assert info["automated_decision_making"]["used"] is False


def test_building_the_package_is_audited_as_an_export_with_ids_only(anna, cast):
    access_package(actor=officer(cast), person_id=anna.pk)

    (event,) = events(action="export")
    assert json.loads(event.person_ids) == [str(anna.pk)]
    assert json.loads(event.detail)["kind"] == "access_package"
    assert_ids_only("Anna", "Virtanen", ANNA_EMAIL, "Tapaaminen")


def test_a_model_added_to_the_registry_is_in_the_package_without_other_changes(anna, cast, monkeypatch):
    entry = PersonalDataModel(
        label="people.PersonCategory",
        person_lookup="person",
        categories=("relationship",),
        purposes=("customer_relationship",),
        export=lambda row: {"future_field": row.category},
        description="A future model",
    )
    personal_data_models()  # the declarations are loaded before one is added
    monkeypatch.setitem(registry._REGISTRY, "future.Model", entry)

    package = access_package(actor=officer(cast), person_id=anna.pk)

    (section,) = [s for s in package["data"] if s["description"] == "A future model"]
    assert section["rows"] == [{"future_field": "customer_representative"}]


def test_the_readable_page_shows_the_data_and_the_information_in_the_language_asked(anna, cast):
    package = access_package(actor=officer(cast), person_id=anna.pk)

    page_en = access_package_html(package, "en")
    page_fi = access_package_html(package, "fi")

    assert '<html lang="en">' in page_en and '<html lang="fi">' in page_fi
    for page in (page_en, page_fi):
        assert "Anna" in page and ANNA_EMAIL in page and "Tapaaminen Tampereella" in page
        assert "Tampereen Testi Oy" in page
        assert "Insta DefSec Oy" in page
    assert "Office of the Data Protection Ombudsman" in page_en
    assert "Tietosuojavaltuutetun toimisto" in page_fi
    assert "kahden vuoden" in page_fi and "every two years" in page_en
    assert "automated decision-making" in page_en
    assert "Suostumus" in page_fi and "Consent" in page_en
    assert "<script" not in page_en and "style=" not in page_en  # CSP: nothing inline


def test_the_page_escapes_what_the_person_typed(person, cast, system_actor):
    interaction_create(actor=system_actor, person=person, kind="note", text="<script>alert(1)</script>")
    page = access_package_html(access_package(actor=officer(cast), person_id=person.pk), "fi")
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page


def test_a_portal_request_is_answered_with_a_stored_package_and_a_download_link(anna, cast, settings):
    request = verified_request(actor=officer(cast), type=RequestType.ACCESS)
    assert request.person_id == anna.pk

    result = request_fulfil(actor=officer(cast), request=request)

    assert result.status == Status.FULFILLED
    assert result.response_channel == Channel.EMAIL
    answer = RequestAnswer.objects.get(request=request)
    assert answer.kind == AnswerKind.ACCESS
    stored = json.loads(answer.content_json)
    assert _section(stored, "people.Person")["rows"][0]["last_name"] == "Virtanen"
    (message,) = mails_to(ANNA_EMAIL)
    assert request.reference in message.subject
    assert "Hei" in message.body or "Hello" in message.body
    link = next(word for word in message.body.split() if "/portal/download/" in word)
    assert link.startswith(f"{settings.PUBLIC_BASE_URL}/portal/download/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert link_use(token=token, purpose="download", consume=False).pk == request.pk
    assert link in html_of(message)
    assert str(settings.DOWNLOAD_LINK_HOURS) in message.body
    # The download hands out the stored answer, in both formats the portal offers.
    assert json.loads(answer_content(request=result, fmt="json")) == stored
    assert b"Tapaaminen Tampereella" in answer_content(request=result, fmt="html")
    assert answer_content(request=result, fmt="csv") is None
    assert [e.action for e in events(object_type="rights_request")][-1] == "fulfil"
    assert_ids_only("Anna", "Virtanen", ANNA_EMAIL, "Tapaaminen", "Uutiskirje")


def test_the_download_link_expires(anna, cast):
    request = verified_request(actor=officer(cast), type=RequestType.ACCESS)
    request_fulfil(actor=officer(cast), request=request)
    link = request.verification_links.get(purpose="download")
    assert link.expires_at - timezone.now() > timedelta(hours=71)
    link.expires_at = timezone.now() - timedelta(seconds=1)
    link.save()
    token = next(w for w in mails_to(ANNA_EMAIL)[0].body.split() if "/portal/download/" in w).rstrip("/")
    with pytest.raises(LinkInvalid):
        link_use(token=token.rsplit("/", 1)[1], purpose="download", consume=False)


def test_an_english_requester_gets_the_mail_and_the_page_in_english(anna, cast):
    request = verified_request(actor=officer(cast), type=RequestType.ACCESS, language="en")
    result = request_fulfil(actor=officer(cast), request=request)

    (message,) = mails_to(ANNA_EMAIL)
    assert "Hello," in message.body
    assert "You can download a copy of your personal data" in message.body
    page = answer_content(request=result, fmt="html").decode()
    assert '<html lang="en">' in page and "Your personal data" in page


def test_a_letter_request_is_answered_by_post_without_a_mail_or_link(anna, cast):
    request = request_create(
        actor=officer(cast),
        type=RequestType.ACCESS,
        channel=Channel.LETTER,
        verification="id_document",
        person_id=anna.pk,
    )
    result = request_fulfil(actor=officer(cast), request=request)

    assert result.status == Status.FULFILLED
    assert result.response_channel == Channel.LETTER
    assert not request.verification_links.filter(purpose="download").exists()
    assert RequestAnswer.objects.filter(request=request).exists()  # staff print it from here
    assert "Virtanen" in answer_content(request=result, fmt="html").decode()

    assert deliver_outbox() == []


def test_an_unverified_request_is_not_fulfilled(anna, cast):
    request = request_create(
        actor=officer(cast), type=RequestType.ACCESS, channel=Channel.EMAIL, email=ANNA_EMAIL
    )
    with pytest.raises(TransitionRefused):
        request_fulfil(actor=officer(cast), request=request)
    request.refresh_from_db()
    assert request.status == Status.AWAITING_VERIFICATION
    assert not RequestAnswer.objects.exists()
    assert events(action="export") == []


def test_a_closed_request_is_not_fulfilled_twice(anna, cast):
    request = verified_request(actor=officer(cast), type=RequestType.ACCESS)
    request_fulfil(actor=officer(cast), request=request)
    request.refresh_from_db()
    with pytest.raises(TransitionRefused):
        request_fulfil(actor=officer(cast), request=request)
    assert RequestAnswer.objects.count() == 1


def test_an_address_nobody_has_is_told_that_no_data_is_held(db, cast):
    request = verified_request(actor=officer(cast), type=RequestType.ACCESS, email="tuntematon@example.fi")
    assert request.person_id is None

    result = request_fulfil(actor=officer(cast), request=request)

    assert result.status == Status.FULFILLED
    assert not RequestAnswer.objects.exists()
    (message,) = mails_to("tuntematon@example.fi")
    assert "/portal/download/" not in message.body
    assert "no personal data" in message.body or "henkilötietoja" in message.body


def test_a_request_without_an_address_must_be_linked_to_its_person_first(db, cast):
    from django.core.exceptions import ValidationError

    request = request_create(
        actor=officer(cast), type=RequestType.ACCESS, channel=Channel.PHONE, verification="phone_callback"
    )
    with pytest.raises(ValidationError) as error:
        request_fulfil(actor=officer(cast), request=request)
    assert "person" in error.value.message_dict
    request.refresh_from_db()
    assert request.status == Status.NEW


def test_a_person_added_after_the_request_is_found_by_the_verified_address(db, cast, system_actor):
    from rekisteri.people.services import person_create

    request = verified_request(actor=officer(cast), type=RequestType.ACCESS, email="myohemmin@example.fi")
    later = person_create(
        actor=system_actor, first_name="Mikko", last_name="Myöhä", email="myohemmin@example.fi"
    )
    result = request_fulfil(actor=officer(cast), request=request)
    assert result.person_id == later.pk
    assert "Myöhä" in answer_content(request=result, fmt="json").decode()


def test_a_restricted_person_still_gets_their_access_package(anna, cast):
    restriction_apply(actor=officer(cast), person=anna, reason="Tietojen oikeellisuus kiistetty")
    request = verified_request(actor=officer(cast), type=RequestType.ACCESS)
    result = request_fulfil(actor=officer(cast), request=request)
    assert result.status == Status.FULFILLED
    stored = json.loads(answer_content(request=result, fmt="json"))
    person_row = _section(stored, "people.Person")["rows"][0]
    assert person_row["restriction_reason"] == "Tietojen oikeellisuus kiistetty"
    # A time with its offset: compare instants, not the UTC date with the local one.
    restricted_at = datetime.fromisoformat(person_row["restricted_at"].replace("Z", "+00:00"))
    assert abs(restricted_at - timezone.now()) < timedelta(minutes=5)
