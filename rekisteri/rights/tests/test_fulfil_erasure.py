"""Art. 17: erasure by key destruction, refused with reasons while an obligation to keep applies."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from rekisteri.keystore.models import DataKey, ErasureTombstone
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import KeyDestroyed
from rekisteri.people.models import Person
from rekisteri.privacy.erasure import ErasureRefused
from rekisteri.privacy.models import ErasureRecord, ProcessingBasis
from rekisteri.privacy.services import basis_set
from rekisteri.rights.fulfilment import answer_content, erasure_obligations, request_fulfil
from rekisteri.rights.models import DataSubjectRequest, RefusalKind, RequestAnswer, RequestType, Status
from rekisteri.rights.tests.fulfil_helpers import (
    ANNA_EMAIL,
    assert_ids_only,
    events,
    html_of,
    mails_to,
    officer,
    verified_request,
)


def test_an_erasure_request_erases_the_person_and_the_requester_is_told(person, cast):
    request = verified_request(actor=officer(cast), type=RequestType.ERASURE, language="en")

    result = request_fulfil(actor=officer(cast), request=request)

    assert not Person.objects.filter(pk=person.pk).exists()
    assert not DataKey.objects.using(KEYSTORE_DB).filter(person_id=person.pk).exists()
    tombstone = ErasureTombstone.objects.using(KEYSTORE_DB).get(person_id=person.pk)
    assert (tombstone.reason, tombstone.request_ref) == ("erasure_request", request.reference)
    stored = DataSubjectRequest.objects.get(pk=request.pk)
    assert stored.status == Status.FULFILLED
    assert stored.person_id is None  # detached: the request record proves the erasure
    # The request keeps its non-personal facts; its own key went after the confirmation was
    # mailed, so nothing of the person stays readable there (nor in any backup).
    assert (stored.reference, stored.type) == (request.reference, RequestType.ERASURE)
    assert not DataKey.objects.using(KEYSTORE_DB).filter(person_id=request.pk).exists()
    with pytest.raises(KeyDestroyed):
        stored.requester_email  # noqa: B018
    assert result.status == Status.FULFILLED
    (message,) = mails_to(ANNA_EMAIL)
    assert "We have erased your personal data" in message.body
    assert request.reference in message.subject
    assert "We have erased" in html_of(message)
    (erase,) = events(action="erase")
    assert json.loads(erase.detail)["reason"] == "erasure_request"
    assert [e.action for e in events(object_type="rights_request")][-2:] == ["change", "fulfil"]
    assert_ids_only("Anna", "Virtanen", ANNA_EMAIL)


def test_a_contract_in_force_is_an_obligation_to_keep_and_the_refusal_says_why(person, cast, system_actor):
    basis_set(actor=system_actor, person=person, purpose="training", basis="contract")
    request = verified_request(actor=officer(cast), type=RequestType.ERASURE, language="en")

    result = request_fulfil(actor=officer(cast), request=request)

    assert Person.objects.filter(pk=person.pk).exists()
    assert result.status == Status.REFUSED
    assert result.refusal_kind == RefusalKind.OBLIGATION_TO_KEEP
    assert "Art. 17(3)" in result.decision
    (message,) = mails_to(ANNA_EMAIL)
    assert "Art. 17(3)" in message.body
    assert "Processing the data of customer representatives who took part in our trainings" in message.body
    assert "Office of the Data Protection Ombudsman" in message.body
    assert events(action="erase") == []


def test_a_legal_obligation_until_a_future_date_keeps_the_data(person, cast, system_actor):
    until = timezone.localdate() + timedelta(days=400)
    basis_set(
        actor=system_actor,
        person=person,
        purpose="rights_and_obligations",
        basis="legal_obligation",
        valid_until=until,
    )
    assert [b.basis for b in erasure_obligations(person.pk)] == ["legal_obligation"]
    request = verified_request(actor=officer(cast), type=RequestType.ERASURE)
    result = request_fulfil(actor=officer(cast), request=request)
    assert result.status == Status.REFUSED
    assert Person.objects.filter(pk=person.pk).exists()


def test_an_ended_obligation_no_longer_keeps_the_data(person, cast, system_actor):
    basis_set(
        actor=system_actor,
        person=person,
        purpose="rights_and_obligations",
        basis="legal_obligation",
        valid_from=timezone.localdate() - timedelta(days=800),
        valid_until=timezone.localdate() - timedelta(days=1),
    )
    basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
    assert erasure_obligations(person.pk) == []
    request = verified_request(actor=officer(cast), type=RequestType.ERASURE)
    result = request_fulfil(actor=officer(cast), request=request)
    assert result.status == Status.FULFILLED
    assert not Person.objects.filter(pk=person.pk).exists()
    assert not ProcessingBasis.objects.exists()


def test_the_stored_access_answer_goes_with_the_erased_person(person, cast):
    access = verified_request(actor=officer(cast), type=RequestType.ACCESS)
    access = request_fulfil(actor=officer(cast), request=access)
    assert answer_content(request=access, fmt="json") is not None

    erasure = verified_request(actor=officer(cast), type=RequestType.ERASURE)
    request_fulfil(actor=officer(cast), request=erasure)

    assert not RequestAnswer.objects.exists()
    assert answer_content(request=access, fmt="json") is None


def test_erasure_refuses_to_run_inside_an_outer_transaction(person, cast):
    request = verified_request(actor=officer(cast), type=RequestType.ERASURE)
    with pytest.raises(ErasureRefused), transaction.atomic():
        request_fulfil(actor=officer(cast), request=request)
    assert Person.objects.filter(pk=person.pk).exists()
    request.refresh_from_db()
    assert request.status == Status.NEW


def test_an_address_nobody_has_is_told_there_was_nothing_to_erase(db, cast):
    request = verified_request(actor=officer(cast), type=RequestType.ERASURE, email="ei.ketaan@example.fi")
    result = request_fulfil(actor=officer(cast), request=request)
    assert result.status == Status.FULFILLED
    assert events(action="erase") == []
    (message,) = mails_to("ei.ketaan@example.fi")
    assert "no personal data" in message.body or "henkilötietoja" in message.body


def test_mails_of_a_request_made_before_the_person_was_in_the_register_go_with_the_erasure(db, cast):
    from rekisteri.outbox.models import OutgoingMail
    from rekisteri.people.services import person_create
    from rekisteri.rights.services import portal_submit, request_verify

    request = portal_submit(type="erasure", email="uusi.henkilo@testi.fi")
    [verify_mail] = OutgoingMail.objects.filter(about_id=str(request.pk))
    assert verify_mail.person_id is None  # nobody had the address yet
    person = person_create(
        actor=officer(cast), first_name="Uusi", last_name="Henkilö", email="uusi.henkilo@testi.fi"
    )
    request = request_verify(actor=officer(cast), request=request, method="portal_link")

    request_fulfil(actor=officer(cast), request=request)

    assert not Person.objects.filter(pk=person.pk).exists()
    # The verification mail held the address under its own key: destroyed with the person.
    assert not DataKey.objects.using(KEYSTORE_DB).filter(person_id=verify_mail.pk).exists()
    assert OutgoingMail.objects.filter(pk=verify_mail.pk, person__isnull=True).exists()


def test_the_proof_of_the_erasure_stays_with_the_request_on_its_page_and_in_the_api(
    person, cast, system_actor
):
    from django.test import Client

    from rekisteri.accounts.services import token_create
    from rekisteri.api.tests.conftest import ApiClient

    master = DataKey.objects.using(KEYSTORE_DB).get(person_id=person.pk).master_key_id
    request = verified_request(actor=officer(cast), type=RequestType.ERASURE, language="en")

    request_fulfil(actor=officer(cast), request=request)

    evidence = DataSubjectRequest.objects.get(pk=request.pk).erasure_evidence
    assert evidence["keys"]["data_key_id"] == str(person.pk)
    assert evidence["keys"]["master_key_ids"] == [master]
    assert evidence["rows"]["people.Person"] == 1
    assert evidence["detached"] == {"rights.DataSubjectRequest": 1}
    assert "storage" in evidence and evidence["scan"]["reason"] in ("in_memory", "postgresql")
    assert_ids_only("Anna", "Virtanen", ANNA_EMAIL)  # the evidence's audit event too
    record = ErasureRecord.objects.get(pk=evidence["proof_id"])
    assert (record.reason, record.request_ref, record.person_id) == (
        "erasure_request",
        request.reference,
        person.pk,
    )
    api = ApiClient(f"Bearer {token_create(actor=system_actor, user=cast.privacy_officer, name='t')[1]}")
    body = api.get(f"/requests/{request.pk}").json()
    assert body["erasure_evidence"] == evidence == record.evidence
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/requests/{request.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "erasure-evidence" in page and str(person.pk) in page


def test_the_request_shows_the_scan_pending_then_its_result_once_the_worker_has_scanned(
    person, cast, settings, tmp_path, monkeypatch
):
    from rekisteri.privacy import erasure_proof
    from rekisteri.privacy.erasure_scan import pending_scans_complete
    from rekisteri.rights.selectors import request_as_dict

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    path = tmp_path / "rekisteri.sqlite3"
    path.write_bytes(bytes(8192))
    monkeypatch.setattr(erasure_proof, "database_files", lambda: ([("rekisteri.sqlite3", path)], []))
    request = verified_request(actor=officer(cast), type=RequestType.ERASURE, language="en")

    request_fulfil(actor=officer(cast), request=request)

    request = DataSubjectRequest.objects.get(pk=request.pk)
    scan = request_as_dict(request)["erasure_evidence"]["scan"]
    assert (scan["pending"], scan["performed"]) == (True, False)
    assert pending_scans_complete() == 1
    scan = request_as_dict(request)["erasure_evidence"]["scan"]
    assert (scan["performed"], scan["result"], scan["files"]) == (
        True,
        "clean",
        [{"file": "rekisteri.sqlite3", "bytes": 8192}],
    )


def test_a_request_that_erased_nothing_has_no_proof(db, cast):
    request = verified_request(actor=officer(cast), type=RequestType.ERASURE, email="nobody@testi.fi")

    request_fulfil(actor=officer(cast), request=request)

    assert DataSubjectRequest.objects.get(pk=request.pk).erasure_evidence == {}
