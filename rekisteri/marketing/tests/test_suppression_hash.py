"""The suppression list is matched in SQL against each person's address-hash entry (a keyed
hash of the address kept beside the blind index), so an audience decrypts no one's address
but the few an entry matches; erasure removes the entry and the list keeps only the hash."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from rekisteri.encryption.migrate_helpers import address_hash_terms_fill
from rekisteri.encryption.models import PersonSearchTerms, SearchTerm
from rekisteri.encryption.services import address_hash, address_hash_term, unpack_terms
from rekisteri.keystore.services import indexer
from rekisteri.lib.blind_index import address_hash_entry
from rekisteri.marketing import audience as audience_module
from rekisteri.marketing.audience import audience_compute
from rekisteri.marketing.models import Consent, Subscription, Suppression
from rekisteri.marketing.services.consents import consent_give, relevance_mark
from rekisteri.marketing.services.lists import _suppression_undo, subscription_add, suppression_add
from rekisteri.people.bulk import person_bulk_create
from rekisteri.people.models import Person
from rekisteri.people.services import person_create, person_delete, person_update

pytestmark = pytest.mark.database
HASH = SearchTerm.Kind.ADDRESS_HASH


def _reader(actor, topic, name, *, email=None, relevant=False):
    person = person_create(
        actor=actor,
        first_name=name,
        last_name="Lukija",
        email=email or f"{name.lower()}@lista.example",
        allow_duplicate=True,
    )
    if relevant:
        relevance_mark(actor=actor, person=person, topic=topic, reason="Ostaa koulutuksia")
    else:
        consent_give(actor=actor, person=person, topic=topic, channel="paper")
    subscription_add(actor=actor, person=person, topic=topic)
    return person


def _hash_entries(person) -> list[int]:
    return list(SearchTerm.objects.filter(person=person, kind=HASH).values_list("term", flat=True))


def test_every_person_with_an_address_has_its_entry(db, system_actor):
    person = person_create(
        actor=system_actor, first_name="Aino", last_name="Lukija", email="Aino@Lista.example"
    )
    nobody = person_create(actor=system_actor, first_name="Ei", last_name="Osoitetta")
    assert _hash_entries(person) == [address_hash_entry(address_hash("aino@lista.example"), indexer().bits)]
    assert (HASH, _hash_entries(person)[0]) in unpack_terms(
        PersonSearchTerms.objects.get(person=person).terms
    )
    assert _hash_entries(nobody) == []


def test_bulk_loaded_persons_have_their_entries(db, system_actor):
    person_bulk_create(
        actor=system_actor,
        rows=[
            {"first_name": "Bulk", "last_name": f"N{i}", "email": f"bulk{i}@lista.example"} for i in range(3)
        ],
    )
    persons = list(Person.objects.all())
    assert len(persons) == 3
    for person in persons:
        assert _hash_entries(person) == [address_hash_term(person.email)]


def test_the_audience_decrypts_only_the_addresses_an_entry_matches(system_actor, newsletter, monkeypatch):
    readers = [_reader(system_actor, newsletter, f"Lukija{i}") for i in range(5)]
    suppression_add(actor=system_actor, email=readers[2].email)
    asked: list = []
    real = audience_module.ciphers_for

    def counting(ids):
        asked.extend(str(i) for i in ids)
        return real(ids)

    monkeypatch.setattr(audience_module, "ciphers_for", counting)
    audience = audience_compute(topic=newsletter, basis="opt_in")
    assert asked == [str(readers[2].pk)]
    assert {r.person_id for r in audience.recipients} == {r.pk for r in readers} - {readers[2].pk}
    assert audience.excluded["suppressed"] == 1 and audience.suppressed_ids == [readers[2].pk]


def test_a_chance_match_of_the_truncated_entry_keeps_no_one_out(system_actor, newsletter):
    reader = _reader(system_actor, newsletter, "Aino")
    # Another address whose entry happens to equal Aino's: the full hashes differ.
    Suppression.objects.create(email_hash="f" * 64, term=_hash_entries(reader)[0])
    audience = audience_compute(topic=newsletter, basis="opt_in")
    assert [r.person_id for r in audience.recipients] == [reader.pk]
    assert audience.excluded["suppressed"] == 0


def test_a_changed_address_is_matched_by_its_new_entry(system_actor, newsletter):
    reader = _reader(system_actor, newsletter, "Aino")
    suppression_add(actor=system_actor, email="vanha@lista.example")
    person_update(actor=system_actor, person=reader, email="vanha@lista.example")
    assert audience_compute(topic=newsletter, basis="opt_in").excluded["suppressed"] == 1
    person_update(actor=system_actor, person=Person.objects.get(pk=reader.pk), email="uusi@lista.example")
    assert audience_compute(topic=newsletter, basis="opt_in").count == 1


def test_erasure_removes_the_entry_and_the_list_keeps_only_the_hash(system_actor, newsletter):
    erased = _reader(system_actor, newsletter, "Erkki", relevant=True)
    digest = address_hash(erased.email)
    person_delete(actor=system_actor, person=erased, reason="erasure_request")
    assert not SearchTerm.objects.filter(person_id=erased.pk).exists()
    again = _reader(system_actor, newsletter, "Erkki", relevant=True)
    audience = audience_compute(topic=newsletter, basis="b2b_opt_out")
    assert audience.count == 0 and audience.suppressed_ids == [again.pk]
    row = Suppression.objects.get(email_hash=digest)
    assert row.reason == Suppression.ERASED and row.term == _hash_entries(again)[0]
    # Copied once: computing again adds nothing.
    assert audience_module.erased_addresses_copy() == 0
    # An opt-in audience is open to the person's own fresh consent.
    consent_give(actor=system_actor, person=again, topic=newsletter, channel="web_form")
    assert audience_compute(topic=newsletter, basis="opt_in").count == 1


def test_unsubscribing_from_everything_an_erased_address_keeps_it_out_of_every_audience(
    system_actor, newsletter
):
    erased = _reader(system_actor, newsletter, "Erkki")
    person_delete(actor=system_actor, person=erased, reason="erasure_request")
    again = _reader(system_actor, newsletter, "Erkki")
    audience_module.erased_addresses_copy()
    suppression_add(actor=system_actor, email=again.email)
    assert (
        Suppression.objects.get(email_hash=address_hash(again.email)).reason == Suppression.UNSUBSCRIBED_ALL
    )
    assert audience_compute(topic=newsletter, basis="opt_in").excluded["suppressed"] == 1
    # A fresh opt-in undoes the unsubscription, not the erasure's mark.
    _suppression_undo(address_hash(again.email))
    assert Suppression.objects.get(email_hash=address_hash(again.email)).reason == Suppression.ERASED
    assert audience_compute(topic=newsletter, basis="opt_in").count == 1
    assert audience_compute(topic=newsletter, basis="b2b_opt_out").excluded["erased_address"] == 1


def test_the_migration_gives_existing_persons_their_entry(system_actor, newsletter):
    reader = _reader(system_actor, newsletter, "Aino")
    expected = _hash_entries(reader)
    SearchTerm.objects.filter(kind=HASH).delete()
    record = PersonSearchTerms.objects.get(person=reader)
    record.terms = b"".join(
        entry
        for entry in [record.terms[i : i + 9] for i in range(0, len(record.terms), 9)]
        if entry[0] != HASH
    )
    record.save()

    address_hash_terms_fill(apps, SimpleNamespace(connection=connection))
    address_hash_terms_fill(apps, SimpleNamespace(connection=connection))  # twice: nothing doubles

    assert _hash_entries(reader) == expected
    assert [
        t for k, t in unpack_terms(PersonSearchTerms.objects.get(person=reader).terms) if k == HASH
    ] == expected
    suppression_add(actor=system_actor, email=reader.email)
    assert audience_compute(topic=newsletter, basis="opt_in").excluded["suppressed"] == 1


def test_a_person_linked_but_not_on_the_list_is_counted_once(system_actor, newsletter):
    person = person_create(
        actor=system_actor, first_name="Ville", last_name="Lukija", email="v@lista.example"
    )
    consent_give(actor=system_actor, person=person, topic=newsletter, channel="paper")
    relevance_mark(actor=system_actor, person=person, topic=newsletter, reason="Ostaa koulutuksia")
    audience = audience_compute(topic=newsletter, basis="b2b_opt_out")
    assert audience.count == 0 and sum(audience.excluded.values()) == 1
    assert audience.excluded["not_subscribed"] == 1
    assert Consent.objects.count() == 1 and not Subscription.objects.exists()
