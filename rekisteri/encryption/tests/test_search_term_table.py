"""The blind index's table: its layout, and the rebuild its migration runs for existing persons."""

from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from rekisteri.encryption.migrate_helpers import reindex_all_persons
from rekisteri.encryption.models import PersonSearchTerms, SearchTerm
from rekisteri.encryption.services import pack_terms, search_terms_for, unpack_terms
from rekisteri.keystore.models import DataKey
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.people.services import person_create, person_update

pytestmark = pytest.mark.django_db


def _entries(person) -> list:
    return sorted(SearchTerm.objects.filter(person=person).values_list("kind", "term"))


def test_the_index_is_its_primary_key_without_a_foreign_key_check():
    table = SearchTerm._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # One B-tree per entry: the table is its primary key (WITHOUT ROWID).
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
            (sql,) = cursor.fetchone()
            assert sql.rstrip().upper().endswith("WITHOUT ROWID")
            assert 'PRIMARY KEY ("kind", "term", "person_id")' in sql
            assert "REFERENCES" not in sql.upper()
        else:
            cursor.execute(
                "SELECT contype, array_to_string(array("
                " SELECT attname FROM unnest(conkey) WITH ORDINALITY AS k(n, i)"
                " JOIN pg_attribute ON attrelid = conrelid AND attnum = k.n ORDER BY k.i), ',')"
                " FROM pg_constraint WHERE conrelid = %s::regclass",
                [table],
            )
            constraints = cursor.fetchall()
            assert ("p", "kind,term,person_id") in constraints
            assert not [kind for kind, _ in constraints if kind == "f"]


def test_the_primary_key_refuses_a_duplicate_entry(system_actor):
    person = person_create(actor=system_actor, first_name="Anna", last_name="Virtanen")
    kind, term = _entries(person)[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        SearchTerm.objects.create(person=person, kind=kind, term=term)


def test_the_migration_rebuilds_every_readable_persons_entries(system_actor):
    anna = person_create(
        actor=system_actor,
        first_name="Anna-Liisa",
        last_name="Ääkkönen",
        email="al@testi.fi",
        phone="0401234567",
    )
    li = person_create(actor=system_actor, first_name="Li", last_name="Ek")
    keyless = person_create(actor=system_actor, first_name="Poistettu", last_name="Henkilö")
    expected = {person.pk: _entries(person) for person in (anna, li)}
    # An erased person's row that came back with an old backup has no key: nothing to index.
    DataKey.objects.using(KEYSTORE_DB).filter(person_id=keyless.pk).delete()
    SearchTerm.objects.all().delete()

    reindex_all_persons(apps, SimpleNamespace(connection=connection))

    assert {person.pk: _entries(person) for person in (anna, li)} == expected
    assert {person.pk: _listed(person) for person in (anna, li)} == expected
    assert expected[anna.pk] == sorted(
        search_terms_for(
            first_name="Anna-Liisa", last_name="Ääkkönen", email="al@testi.fi", phone="+358401234567"
        )
    )
    assert not SearchTerm.objects.filter(person_id=keyless.pk).exists()


def _listed(person) -> list:
    return sorted(unpack_terms(PersonSearchTerms.objects.get(person_id=person.pk).terms))


def test_entries_have_no_index_by_person_and_each_persons_list_is_one_b_tree_on_sqlite():
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, SearchTerm._meta.db_table)
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s",
                [PersonSearchTerms._meta.db_table],
            )
            (sql,) = cursor.fetchone()
            assert sql.rstrip().upper().endswith("WITHOUT ROWID")
    by_person = [name for name, info in indexes.items() if info["columns"] == ["person_id"]]
    assert by_person == []


def test_a_change_replaces_exactly_the_entries_its_list_names(system_actor):
    anna = person_create(
        actor=system_actor, first_name="Anna", last_name="Virtanen", email="anna@testi.fi", phone="0401234567"
    )
    before = _entries(anna)
    assert _listed(anna) == before
    person_update(actor=system_actor, person=anna, email="anna.virtanen@uusi.fi", last_name="Korhonen")
    after = _entries(anna)
    assert after != before and _listed(anna) == after
    assert after == sorted(
        search_terms_for(
            first_name="Anna", last_name="Korhonen", email="anna.virtanen@uusi.fi", phone="+358401234567"
        )
    )


def test_the_migration_lists_the_entries_already_stored(system_actor):
    lists_from_entries = import_module(
        "rekisteri.encryption.migrations.0003_person_search_terms"
    ).lists_from_entries
    anna = person_create(
        actor=system_actor, first_name="Anna-Liisa", last_name="Ääkkönen", email="al@testi.fi"
    )
    li = person_create(actor=system_actor, first_name="Li", last_name="Ek", phone="0401234567")
    expected = {person.pk: _listed(person) for person in (anna, li)}
    PersonSearchTerms.objects.all().delete()

    lists_from_entries(apps, SimpleNamespace(connection=connection))

    assert {person.pk: _listed(person) for person in (anna, li)} == expected
    assert expected[anna.pk] == _entries(anna) and expected[li.pk] == _entries(li)


def test_the_migration_to_email_and_phone_codes_replaces_every_entry_and_list(system_actor):
    rebuild = import_module(
        "rekisteri.encryption.migrations.0004_email_domain_and_phone_prefix_codes"
    ).rebuild
    anna = person_create(
        actor=system_actor, first_name="Anna", last_name="Virtanen", email="anna@testi.fi", phone="0401234567"
    )
    expected = _entries(anna)
    # Entries of the old meaning (an exact phone hash), and a list naming them.
    SearchTerm.objects.filter(person=anna).delete()
    SearchTerm.objects.create(person=anna, kind=SearchTerm.Kind.PHONE, term=12345)
    PersonSearchTerms.objects.filter(person_id=anna.pk).update(
        terms=pack_terms([(SearchTerm.Kind.PHONE, 12345)])
    )

    rebuild(apps, SimpleNamespace(connection=connection))

    assert _entries(anna) == expected and _listed(anna) == expected
    assert not SearchTerm.objects.filter(term=12345).exists()
