"""person_erase: key destruction, row deletion through the registry, tombstone and audit."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.services import token_create
from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import audit_verify
from rekisteri.contacts.services import interaction_create, tracking_event_record
from rekisteri.encryption.models import SearchTerm
from rekisteri.keystore.models import DataKey, ErasureTombstone
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import KeyDestroyed, email_suppression_hash, key_destroy
from rekisteri.people.models import Person
from rekisteri.people.selectors import person_search
from rekisteri.people.services import person_create
from rekisteri.privacy.erasure import ErasureRefused, erasure_journal_replay, person_erase
from rekisteri.privacy.registry import personal_data_models
from rekisteri.privacy.services import basis_set, source_add

pytestmark = pytest.mark.django_db

EMAIL = "Oskari.Jaaskelainen@Esimerkki.fi"
STORED_EMAIL = "Oskari.Jaaskelainen@esimerkki.fi"  # the domain is lower-cased, the local part kept
# Labels of the registered models the `rich` fixture gives rows, so erasure has work in each.
COVERED = {
    "people.Person",
    "people.PersonCategory",
    "privacy.ProcessingBasis",
    "privacy.DataSource",
    "contacts.Interaction",
    "contacts.TrackingEvent",
    "encryption.SearchTerm",
    "encryption.PersonSearchTerms",
}


def _keys(person_id):
    return DataKey.objects.using(KEYSTORE_DB).filter(person_id=person_id)


def _tombstone(person_id):
    return ErasureTombstone.objects.using(KEYSTORE_DB).filter(person_id=person_id).first()


def _rows_by_label(person_id) -> dict[str, int]:
    # By the link itself (for the blind index a scan): entries nothing lists still count.
    return {entry.label: entry.rows_by_lookup(person_id).count() for entry in personal_data_models()}


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


@pytest.fixture
def rich(system_actor, organization):
    """A person with a row in every registered model, and every encrypted field filled."""
    person = person_create(
        actor=system_actor,
        first_name="Oskari",
        last_name="Jääskeläinen",
        email=EMAIL,
        phone="040 987 6543",
        organization=organization,
        title="Tietohallintojohtaja",
        self_given_info="Toivoo yhteydenottoja vain sähköpostitse.",
        categories=["customer_representative", "student"],
    )
    basis_set(
        actor=system_actor,
        person=person,
        purpose="customer_relationship",
        basis="contract",
        justification="Puitesopimus 2024",
    )
    source_add(actor=system_actor, person=person, kind="data_subject", detail="Käyntikortti messuilta")
    interaction_create(actor=system_actor, person=person, kind="call", text="Soitti tarjouksesta.")
    # Individual newsletter tracking needs the person's consent (section 9).
    from rekisteri.marketing.services.consents import consent_give

    consent_give(actor=system_actor, person=person, topic="tracking", channel="web_form")
    tracking_event_record(actor=system_actor, person=person, kind="newsletter_open", reference="uutiskirje-5")
    return person


@pytest.fixture
def bystander(system_actor, organization):
    person = person_create(
        actor=system_actor,
        first_name="Oona",
        last_name="Jääskeläinen",
        email="oona.sivullinen@esimerkki.fi",
        phone="050 111 2233",
        organization=organization,
    )
    interaction_create(actor=system_actor, person=person, kind="note", text="Jää rekisteriin.")
    return person


def test_erasure_deletes_the_person_and_every_registered_row_and_destroys_their_key(
    system_actor, rich, bystander
):
    before = _rows_by_label(rich.pk)
    assert {label for label, count in before.items() if count} >= COVERED
    bystander_rows = _rows_by_label(bystander.pk)

    person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request", request_ref="TSV-2025-17")

    assert _rows_by_label(rich.pk) == dict.fromkeys(before, 0)
    assert not _keys(rich.pk).exists()
    # Nobody else lost anything.
    assert _rows_by_label(bystander.pk) == bystander_rows
    assert _keys(bystander.pk).exists()
    assert Person.objects.get(pk=bystander.pk).email == "oona.sivullinen@esimerkki.fi"


def test_erasure_keeps_a_tombstone_with_reason_reference_time_and_keyed_email_hash(system_actor, rich):
    started = timezone.now()

    person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request", request_ref="TSV-2025-17")

    tombstone = _tombstone(rich.pk)
    assert tombstone.reason == "erasure_request"
    assert tombstone.request_ref == "TSV-2025-17"
    assert started <= tombstone.erased_at <= timezone.now()
    assert tombstone.email_hash
    assert tombstone.email_hash == email_suppression_hash(rich.email.casefold())
    # The hash is keyed: neither the address nor a plain digest of it.
    assert "oskari" not in tombstone.email_hash.casefold()


def test_a_person_without_email_gets_a_tombstone_without_email_hash(system_actor, organization):
    person = person_create(actor=system_actor, first_name="Ei", last_name="Sähköpostia")

    person_erase(actor=system_actor, person_id=person.pk, reason="duplicate")

    tombstone = _tombstone(person.pk)
    assert tombstone.reason == "duplicate"
    assert tombstone.request_ref == ""
    assert tombstone.email_hash == ""


def test_the_erase_event_holds_ids_and_codes_only_and_the_chain_stays_intact(system_actor, rich):
    values = [rich.first_name, rich.last_name, rich.email, rich.phone, rich.title, "TSV-2025-17"]

    person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request", request_ref="TSV-2025-17")

    [event] = _events("erase")
    assert event.object_type == "person"
    assert json.loads(event.object_ids) == [str(rich.pk)]
    assert json.loads(event.person_ids) == [str(rich.pk)]
    detail = json.loads(event.detail)
    assert detail["reason"] == "erasure_request"
    assert detail["request"] is True
    assert detail["rows"] >= len(COVERED)
    stored = " ".join(str(getattr(event, f.attname)) for f in AuditEvent._meta.concrete_fields).casefold()
    for value in values:
        assert value.casefold() not in stored
    assert audit_verify().ok


def test_an_unknown_reason_is_refused_and_nothing_changes(system_actor, rich):
    before = _rows_by_label(rich.pk)

    with pytest.raises(ErasureRefused) as unknown:
        person_erase(actor=system_actor, person_id=rich.pk, reason="Hän pyysi puhelimessa")
    assert [error.code for error in unknown.value.error_dict["reason"]] == ["erasure.unknown_reason"]
    with pytest.raises(ErasureRefused) as too_long:
        person_erase(actor=system_actor, person_id=rich.pk, reason="other", request_ref="x" * 101)
    codes = [error.code for error in too_long.value.error_dict["request_ref"]]
    assert codes == ["erasure.reference_too_long"]

    assert _rows_by_label(rich.pk) == before
    assert _keys(rich.pk).exists()
    assert _tombstone(rich.pk) is None
    assert _events("erase") == []
    assert Person.objects.get(pk=rich.pk).last_name == "Jääskeläinen"


def test_erasure_inside_an_outer_transaction_is_refused_before_the_key_is_destroyed(system_actor, rich):
    before = _rows_by_label(rich.pk)

    with pytest.raises(ErasureRefused) as refused, transaction.atomic():
        person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request")
    assert refused.value.code == "erasure.inside_transaction"

    assert _keys(rich.pk).exists()
    assert _tombstone(rich.pk) is None
    assert _rows_by_label(rich.pk) == before
    assert Person.objects.get(pk=rich.pk).email == STORED_EMAIL


def test_erasing_twice_is_harmless_and_keeps_the_first_tombstone(system_actor, rich):
    person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request", request_ref="TSV-2025-17")
    first = _tombstone(rich.pk)

    person_erase(actor=system_actor, person_id=rich.pk, reason="other")

    again = _tombstone(rich.pk)
    # The suppression hash, the time and the reason of the real erasure survive a repeat.
    assert (again.email_hash, again.erased_at, again.reason, again.request_ref) == (
        first.email_hash,
        first.erased_at,
        "erasure_request",
        "TSV-2025-17",
    )
    assert again.email_hash
    assert not Person.objects.filter(pk=rich.pk).exists()
    assert [json.loads(e.detail)["rows"] for e in _events("erase")][1] == 0
    assert audit_verify().ok


def test_an_erasure_that_died_after_destroying_the_key_is_finished_by_erasing_again(system_actor, rich):
    email_hash = email_suppression_hash(rich.email.casefold())
    key_destroy(person_id=rich.pk, reason="erasure_request", request_ref="TSV-9", email_hash=email_hash)
    assert Person.objects.filter(pk=rich.pk).exists()  # the rows outlived the key

    person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request", request_ref="TSV-9")

    assert _rows_by_label(rich.pk) == dict.fromkeys(_rows_by_label(rich.pk), 0)
    assert _tombstone(rich.pk).email_hash == email_hash


def _raw_rows(person_id) -> list[tuple[str, list[str], list[tuple]]]:
    """Every registered row of the person as raw column values, the person's own row first."""
    copies = []
    entries = sorted(personal_data_models(), key=lambda entry: entry.person_lookup != "pk")
    for entry in entries:
        model = entry.model
        columns = [field.column for field in model._meta.concrete_fields]
        pks = list(entry.rows_for(person_id).values_list("pk", flat=True))
        if not pks:
            continue
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        table = connection.ops.quote_name(model._meta.db_table)
        # A composite primary key (the blind index's) is matched column by column.
        pk_fields = list(getattr(model._meta.pk, "fields", None) or [model._meta.pk])
        where = " AND ".join(f"{connection.ops.quote_name(field.column)} = %s" for field in pk_fields)
        rows = []
        with connection.cursor() as cursor:
            for pk in pks:
                parts = pk if len(pk_fields) > 1 else (pk,)
                prepared = [
                    field.get_db_prep_value(part, connection)
                    for field, part in zip(pk_fields, parts, strict=True)
                ]
                cursor.execute(f"SELECT {quoted} FROM {table} WHERE {where}", prepared)
                rows.append(tuple(bytes(v) if isinstance(v, memoryview) else v for v in cursor.fetchone()))
        copies.append((model._meta.db_table, columns, rows))
    return copies


def _raw_restore(copies) -> None:
    """Put raw rows back, as a restore of a backup taken before the erasure would."""
    with connection.cursor() as cursor:
        for table, columns, rows in copies:
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({marks})", rows
            )


def test_replaying_the_journal_deletes_rows_that_came_back_and_audits_it(system_actor, rich, bystander):
    copies = _raw_rows(rich.pk)
    assert {table for table, _, _ in copies} >= {"people_person", "contacts_interaction"}
    person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request")
    _raw_restore(copies)
    assert Person.objects.filter(pk=rich.pk).exists()

    replayed = erasure_journal_replay(actor=system_actor)

    assert replayed == [str(rich.pk)]
    assert set(_rows_by_label(rich.pk).values()) == {0}
    assert Person.objects.filter(pk=bystander.pk).exists()
    [event] = _events("erase_replayed")
    assert json.loads(event.person_ids) == [str(rich.pk)]
    assert json.loads(event.detail)["rows"] == sum(len(rows) for _, _, rows in copies)
    assert erasure_journal_replay(actor=system_actor) == []
    assert audit_verify().ok


def test_replaying_the_journal_finds_index_entries_that_came_back_without_their_list(
    system_actor, rich, bystander
):
    # Entries are otherwise found through the person's list of them; a restore may bring
    # back entries alone (here: nothing else of the person).
    copies = [copy for copy in _raw_rows(rich.pk) if copy[0] == "encryption_searchterm"]
    assert copies and copies[0][2]
    person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request")
    _raw_restore(copies)
    assert SearchTerm.objects.filter(person_id=rich.pk).exists()
    bystanders_entries = SearchTerm.objects.filter(person_id=bystander.pk).count()

    assert erasure_journal_replay(actor=system_actor) == [str(rich.pk)]

    assert not SearchTerm.objects.filter(person_id=rich.pk).exists()
    assert SearchTerm.objects.filter(person_id=bystander.pk).count() == bystanders_entries > 0
    [event] = _events("erase_replayed")
    assert json.loads(event.detail)["rows"] == len(copies[0][2])


def test_replaying_the_journal_destroys_a_data_key_that_a_key_store_restore_brought_back(system_actor, rich):
    key = _keys(rich.pk).get()
    person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request", request_ref="TSV-3")
    first = _tombstone(rich.pk)
    DataKey.objects.using(KEYSTORE_DB).create(
        person_id=key.person_id, wrapped=bytes(key.wrapped), master_key_id=key.master_key_id
    )

    assert erasure_journal_replay(actor=system_actor) == [str(rich.pk)]

    assert not _keys(rich.pk).exists()
    again = _tombstone(rich.pk)
    assert (again.reason, again.request_ref, again.email_hash, again.erased_at) == (
        "erasure_request",
        "TSV-3",
        first.email_hash,
        first.erased_at,
    )
    [event] = _events("erase_replayed")
    assert json.loads(event.detail) == {"rows": 0, "key": True}
    assert audit_verify().ok


def test_a_row_that_came_back_cannot_be_read_without_the_key(system_actor, rich):
    copies = _raw_rows(rich.pk)
    person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request")
    _raw_restore(copies)

    stray = Person.objects.get(pk=rich.pk)
    with pytest.raises(KeyDestroyed):
        stray.first_name  # noqa: B018
    with pytest.raises(KeyDestroyed):
        rich.interactions.get().text  # noqa: B018


@pytest.mark.parametrize(
    "query", ["Oskari", "jääsk", "osk jää", EMAIL.upper(), "040 987 6543", "+358409876543"]
)
def test_an_erased_person_cannot_be_found_by_search(system_actor, rich, bystander, query):
    assert str(rich.pk) in {str(p.pk) for p in person_search(actor=system_actor, query=query).results}

    person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request")

    page = person_search(actor=system_actor, query=query)
    assert str(rich.pk) not in {str(p.pk) for p in page.results}
    assert page.total == (1 if query == "jääsk" else 0)  # the bystander shares the last name


@pytest.fixture
def half_erased(rich):
    """The state an erasure that died after destroying the key leaves: rows without a key."""
    key_destroy(person_id=rich.pk, reason="erasure_request")
    return rich


def test_the_card_of_a_person_whose_key_is_gone_is_a_410_page(cast, half_erased):
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get(reverse("web:person_card", args=[half_erased.pk]))

    assert response.status_code == 410
    assert "Oskari" not in response.content.decode()


def test_the_api_answers_410_erased_for_a_person_whose_key_is_gone(cast, system_actor, half_erased):
    _, raw = token_create(actor=system_actor, user=cast.privacy_officer, name="test")
    client = Client(headers={"Authorization": f"Bearer {raw}"})

    response = client.get(f"/api/v1/persons/{half_erased.pk}")

    assert response.status_code == 410
    assert response.json()["code"] == "erased"
    assert "Oskari" not in response.content.decode()


def test_deleting_in_the_ui_erases_with_the_chosen_reason(cast, rich):
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")

    response = client.post(
        reverse("web:person_delete", args=[rich.pk]),
        {"reason": "erasure_request", "confirm": "on", "override_reason": "Puitesopimus päättyi"},
    )

    assert response.status_code == 302
    assert set(_rows_by_label(rich.pk).values()) == {0}
    assert not _keys(rich.pk).exists()
    assert _tombstone(rich.pk).reason == "erasure_request"
    [event] = _events("erase")
    assert event.actor_user_id == cast.privacy_officer.pk
    assert event.origin == "ui"


def test_delete_in_the_api_erases(cast, system_actor, rich):
    _, raw = token_create(actor=system_actor, user=cast.privacy_officer, name="test")
    client = Client(headers={"Authorization": f"Bearer {raw}"})

    # The contract in force refuses the deletion unless the privacy officer overrides (Art. 17(3)).
    assert client.delete(f"/api/v1/persons/{rich.pk}").status_code == 409
    response = client.delete(f"/api/v1/persons/{rich.pk}?override_reason=Puitesopimus+p%C3%A4%C3%A4ttyi")

    assert response.status_code == 204
    assert set(_rows_by_label(rich.pk).values()) == {0}
    assert not _keys(rich.pk).exists()
    assert _tombstone(rich.pk).email_hash == email_suppression_hash(STORED_EMAIL.casefold())
    [event] = _events("erase")
    assert event.origin == "api"
    assert json.loads(event.person_ids) == [str(rich.pk)]
