import gc
import json
import sys
import threading

import pytest
from django.db import connection

from rekisteri.audit.models import AuditEvent, AuditSubject
from rekisteri.audit.services import audit_verify
from rekisteri.audit.testing import append_only_triggers_dropped
from rekisteri.encryption.models import PersonSearchTerms, SearchTerm
from rekisteri.encryption.services import person_search_terms, search_terms_for, unpack_terms
from rekisteri.keystore.models import DataKey
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.people import bulk
from rekisteri.people.bulk import PersonBulkError, person_bulk_create
from rekisteri.people.models import Person, PersonCategory
from rekisteri.people.selectors import person_get, person_search

pytestmark = pytest.mark.django_db


def _row(n: int, **fields) -> dict:
    return {
        "first_name": "Anna",
        "last_name": f"Virtanen{chr(ord('a') + n)}",
        "email": f"anna.virtanen{n}@testi.fi",
        **fields,
    }


def _keys() -> int:
    return DataKey.objects.using(KEYSTORE_DB).count()


def test_values_round_trip_normalised_and_encrypted(system_actor, organization):
    created = person_bulk_create(
        actor=system_actor,
        rows=[
            {
                "first_name": " Anna-Liisa ",
                "last_name": "Ääkkönen",
                "email": "Anna-Liisa.Aakkonen@TESTI.FI",
                "phone": "040-772 3002",
                "organization": str(organization.pk),
                "title": "Hankintapäällikkö",
                "self_given_info": "Kiinnostunut koulutuksista.",
                "categories": ["customer_representative", "student", "student"],
            },
            {"first_name": "Tero", "last_name": "Leppänen", "organization": organization},
        ],
    )
    assert created == 2
    anna = Person.objects.get(pk=next(p.pk for p in Person.objects.all() if p.last_name == "Ääkkönen"))
    assert (anna.first_name, anna.email, anna.phone) == (
        "Anna-Liisa",
        "Anna-Liisa.Aakkonen@testi.fi",
        "+358407723002",
    )
    assert (anna.title, anna.self_given_info, anna.organization) == (
        "Hankintapäällikkö",
        "Kiinnostunut koulutuksista.",
        organization,
    )
    assert sorted(anna.categories.values_list("category", flat=True)) == [
        "customer_representative",
        "student",
    ]
    tero = next(p for p in Person.objects.all() if p.last_name == "Leppänen")
    assert (tero.email, tero.phone, tero.title) == ("", "", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT first_name, email FROM people_person")
        stored = b"".join(bytes(value) for row in cursor.fetchall() for value in row if value is not None)
    assert b"Anna" not in stored and b"testi" not in stored.lower()
    assert _keys() == 2


def test_bulk_created_persons_are_found_by_every_kind_of_search(system_actor, cast):
    from rekisteri.audit.actor import Actor

    person_bulk_create(
        actor=system_actor,
        rows=[_row(n, phone=f"040 123 45{n:02d}") for n in range(5)]
        + [{"first_name": "Seán", "last_name": "O'Brien-Åberg", "email": "sean@testi.fi"}],
        batch_size=2,
    )
    reader = Actor.for_user(cast.sales, "ui")
    assert [p.email for p in person_search(actor=reader, query="ANNA.VIRTANEN3@testi.fi").results] == [
        "anna.virtanen3@testi.fi"
    ]
    assert [p.phone for p in person_search(actor=reader, query="+358 40 123 4502").results] == [
        "+358401234502"
    ]
    assert person_search(actor=reader, query="ann virt").total == 5
    assert [p.first_name for p in person_search(actor=reader, query="obrien åbe").results] == ["Seán"]
    assert [p.first_name for p in person_search(actor=reader, query="sean").results] == ["Seán"]


def test_blind_index_rows_equal_those_of_single_creation(system_actor):
    rows = [
        {"first_name": "Anna-Liisa", "last_name": "Ääkkönen", "email": "a@testi.fi", "phone": "0401234567"},
        {"first_name": "Anna", "last_name": "Ääkkönen-Virtanen"},
        {"first_name": "Ek", "last_name": "O'Brien"},
    ]
    person_bulk_create(actor=system_actor, rows=rows)
    for person in Person.objects.all():
        stored = sorted(SearchTerm.objects.filter(person=person).values_list("kind", "term"))
        expected = sorted(
            search_terms_for(
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                phone=person.phone,
            )
        )
        assert stored == expected
        # The person's list of them, which erasure and a change use to find them.
        listed = PersonSearchTerms.objects.get(person_id=person.pk).terms
        assert sorted(unpack_terms(listed)) == expected
        assert sorted(person_search_terms(person.pk).values_list("kind", "term")) == expected


def test_invalid_rows_are_reported_by_number_and_their_batch_is_not_written(system_actor):
    rows = [
        _row(0),
        _row(1),
        _row(2),
        _row(3, email="not an address", phone="12"),
        _row(4),
        _row(5, last_name=" ", categories=["vip"]),
        "not a row",
    ]
    with pytest.raises(PersonBulkError) as excinfo:
        person_bulk_create(actor=system_actor, rows=rows, batch_size=2)
    error = excinfo.value
    assert (error.created, error.first_unwritten_row) == (2, 3)
    assert [(e.row, e.field) for e in error.row_errors] == [
        (4, "email"),
        (4, "phone"),
        (6, "categories"),
        (6, "last_name"),
        (7, "row"),
    ]
    assert "nothing from row 3 on was written" in error.messages[0]
    assert any(message.startswith("row 4: email: Enter a valid e-mail address") for message in error.messages)
    assert sorted(p.last_name for p in Person.objects.all()) == ["Virtanena", "Virtanenb"]
    assert _keys() == 2
    assert SearchTerm.objects.exclude(person__in=Person.objects.all()).count() == 0
    assert AuditEvent.objects.filter(action="create", object_type="person").count() == 1  # the first batch


def test_an_unknown_organization_is_an_error_of_its_row(system_actor, organization):
    with pytest.raises(PersonBulkError) as excinfo:
        person_bulk_create(
            actor=system_actor, rows=[_row(0, organization=organization.pk), _row(1, organization=999999)]
        )
    assert [(e.row, e.field, e.message) for e in excinfo.value.row_errors] == [
        (2, "organization", "No such organization.")
    ]
    assert not Person.objects.exists()


def test_a_batch_that_fails_while_writing_leaves_nothing_behind(system_actor, monkeypatch):
    person_bulk_create(actor=system_actor, rows=[_row(0)])

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "audit_record_many", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        person_bulk_create(actor=system_actor, rows=[_row(1), _row(2)])
    assert Person.objects.count() == 1
    assert SearchTerm.objects.values("person").distinct().count() == 1
    assert PersonCategory.objects.count() == 0
    assert _keys() == 1


def test_every_batch_gets_a_create_event_naming_its_persons_and_the_chain_verifies(system_actor, person):
    person_bulk_create(actor=system_actor, rows=[_row(n) for n in range(7)], batch_size=3)
    events = AuditEvent.objects.filter(action="create", object_type="person").order_by("seq")
    assert events.count() == 4  # the fixture's person, then one event per batch of 3, 3 and 1
    bulk_ids = {str(pid) for pid in Person.objects.exclude(pk=person.pk).values_list("pk", flat=True)}
    subjects = [
        {str(pid) for pid in AuditSubject.objects.filter(event=event).values_list("person_id", flat=True)}
        for event in events[1:]
    ]
    assert [len(ids) for ids in subjects] == [3, 3, 1]
    assert set().union(*subjects) == bulk_ids
    for event, ids in zip(events[1:], subjects, strict=True):
        assert set(json.loads(event.object_ids)) == set(json.loads(event.person_ids)) == ids
    assert all("Virtanen" not in event.detail and "testi" not in event.detail for event in events)
    assert events.last().detail == '{"bulk":true,"fields":["email","first_name","last_name"],"persons":1}'
    result = audit_verify()
    assert result.ok, result.problem


def test_tampering_with_a_bulk_event_is_still_detected(system_actor):
    person_bulk_create(actor=system_actor, rows=[_row(n) for n in range(4)])
    person_bulk_create(actor=system_actor, rows=[_row(n) for n in range(4, 8)])
    victim = AuditEvent.objects.filter(action="create").order_by("seq")[0]
    with append_only_triggers_dropped():
        AuditEvent.objects.filter(pk=victim.pk).update(object_ids='["00000000-0000-0000-0000-000000000000"]')
    result = audit_verify()
    assert not result.ok and result.first_bad_seq == victim.seq


def test_the_actor_is_recorded_as_creator(cast):
    from rekisteri.audit.actor import Actor

    person_bulk_create(actor=Actor.for_user(cast.crm, "cli"), rows=[_row(0)])
    person = Person.objects.get()
    assert person.created_by == cast.crm
    assert person_get(actor=Actor.for_user(cast.crm, "ui"), person_id=person.pk).first_name == "Anna"
    assert AuditEvent.objects.get(action="create", object_type="person").actor_user_id == cast.crm.pk


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_postgresql_stores_batches_in_a_writer_thread(system_actor, monkeypatch):
    stored_in = []
    original = bulk._store_batch

    def spy(actor, batch):
        stored_in.append(threading.current_thread().name)
        return original(actor, batch)

    monkeypatch.setattr(bulk, "_store_batch", spy)
    interval = sys.getswitchinterval()
    rows = [_row(n, phone="040 772 300" + str(n), categories=["student"]) for n in range(7)]
    assert person_bulk_create(actor=system_actor, rows=rows, batch_size=3) == 7

    threaded = connection.vendor == "postgresql"
    assert len(stored_in) == 3
    assert all(name.startswith("bulk-writer") for name in stored_in) is threaded
    assert all(name == threading.main_thread().name for name in stored_in) is not threaded
    assert sys.getswitchinterval() == interval  # put back after the load
    assert Person.objects.count() == _keys() == PersonCategory.objects.count() == 7
    found = person_search(actor=system_actor, query="ANNA.VIRTANEN5@testi.fi").results
    assert [person.last_name for person in found] == ["Virtanenf"]
    found = person_search(actor=system_actor, query="+358 40 772 3006").results
    assert [person.email for person in found] == ["anna.virtanen6@testi.fi"]
    assert AuditEvent.objects.filter(action="create", object_type="person").count() == 3
    result = audit_verify()
    assert result.ok, result.problem


@pytest.mark.django_db(transaction=True)
def test_a_batch_failing_while_stored_stops_the_load_after_the_batches_before_it(system_actor, monkeypatch):
    stored = []
    original = bulk.audit_record_many

    def fail_the_second(**kwargs):
        stored.append(1)
        if len(stored) == 2:
            raise RuntimeError("disk full")
        return original(**kwargs)

    monkeypatch.setattr(bulk, "audit_record_many", fail_the_second)
    with pytest.raises(RuntimeError, match="disk full"):
        person_bulk_create(actor=system_actor, rows=[_row(n) for n in range(10)], batch_size=3)
    # The first batch stays; the failed one and any prepared after it left no rows or keys.
    assert Person.objects.count() == _keys() == 3
    assert SearchTerm.objects.values("person").distinct().count() == 3
    assert len(stored) == 2
    result = audit_verify()
    assert result.ok, result.problem


def test_the_cycle_collector_is_paused_while_loading_and_left_as_it_was(system_actor, monkeypatch):
    seen = []
    original = bulk._prepare_batch

    def spy(*args):
        seen.append(gc.isenabled())
        return original(*args)

    monkeypatch.setattr(bulk, "_prepare_batch", spy)
    assert gc.isenabled()
    person_bulk_create(actor=system_actor, rows=[_row(0), _row(1)], batch_size=1)
    assert seen == [False, False] and gc.isenabled()
    with pytest.raises(PersonBulkError):
        person_bulk_create(actor=system_actor, rows=[_row(2), {"first_name": ""}])
    assert gc.isenabled()
    gc.disable()
    try:
        person_bulk_create(actor=system_actor, rows=[_row(3)])
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
