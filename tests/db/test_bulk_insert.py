"""insert_rows: rows in database form, below the ORM, as the ORM would have stored them."""

from types import SimpleNamespace

import pytest
from django.db import connection, models
from django.utils import timezone

from rekisteri.db.bulk_insert import _without_null_columns, insert_rows
from rekisteri.lib.ids import uuid7_many
from rekisteri.people.models import Person

pytestmark = pytest.mark.django_db


def _db(field_name: str, value):
    return Person._meta.get_field(field_name).get_db_prep_save(value, connection)


def test_columns_null_in_every_row_are_stored_null_and_others_as_given(organization):
    first, second = uuid7_many(2)
    now = timezone.now()
    columns = ("id", "created_at", "updated_at", "last_activity_at", "organization_id", "first_name")
    rows = [
        # The columns left for NULL (last_activity_at everywhere) and a column NULL in one
        # row only (organization), with a blob as bytearray and as bytes.
        [
            _db("id", first),
            _db("created_at", now),
            _db("updated_at", now),
            None,
            organization.pk,
            bytearray(b"\x01a"),
        ],
        [_db("id", second), _db("created_at", now), _db("updated_at", now), None, None, b"\x01b"],
    ]
    insert_rows(connection, Person, columns, rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_activity_at, organization_id, first_name FROM people_person ORDER BY id")
        stored = [(activity, org, bytes(blob)) for activity, org, blob in cursor.fetchall()]
    assert stored == [(None, organization.pk, b"\x01a"), (None, None, b"\x01b")]


def _field(name: str, field: models.Field) -> models.Field:
    field.set_attributes_from_name(name)
    return field


def test_only_nullable_columns_without_a_database_default_are_left_out():
    fields = [
        _field("a", models.IntegerField()),
        _field("b", models.IntegerField(null=True)),
        _field("c", models.IntegerField(null=True, db_default=5)),
        _field("d", models.IntegerField(null=True)),
    ]
    model = SimpleNamespace(_meta=SimpleNamespace(concrete_fields=fields))
    columns, rows = _without_null_columns(
        model, ("a", "b", "c", "d"), [(1, None, None, None), (2, None, None, 4)]
    )
    # b is NULL everywhere; c is too, but leaving it out would store its default 5; d is
    # NULL only in the first row; a is not nullable.
    assert list(columns) == ["a", "c", "d"]
    assert [tuple(row) for row in rows] == [(1, None, None), (2, None, 4)]
    columns, rows = _without_null_columns(model, ("b",), [(None,), (None,)])
    assert (list(columns), [tuple(row) for row in rows]) == (["b"], [(None,), (None,)])
    same_columns, same_rows = _without_null_columns(model, ("a", "d"), [(1, 2)])
    assert list(same_columns) == ["a", "d"] and [tuple(row) for row in same_rows] == [(1, 2)]
