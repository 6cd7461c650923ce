"""prepared_cursor: PostgreSQL prepares its statements; Django's cursor behaviour is kept."""

import pytest
from django.db import DatabaseError, connection

from rekisteri.db.prepared import prepared_cursor

pytestmark = pytest.mark.django_db


def test_a_statement_runs_with_its_values_on_either_database():
    with prepared_cursor(connection) as cursor:
        cursor.execute("SELECT COUNT(*) FROM audit_audithead WHERE id = %s", [1])
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT COUNT(*) FROM audit_audithead WHERE id = %s", [2])
        assert cursor.fetchall() == [(0,)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_on_postgresql_the_statement_is_prepared_once_and_reused():
    statement = "SELECT COUNT(*) FROM audit_audithead WHERE id = %s AND seq >= 0"
    for value in (1, 2, 3):
        with prepared_cursor(connection) as cursor:
            cursor.execute(statement, [value])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%audit_audithead WHERE id = $1 AND seq >= 0%"],
        )
        assert cursor.fetchone() == (1,)


def test_execute_wrappers_see_the_statements_and_errors_are_djangos():
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper), prepared_cursor(connection) as cursor:
        cursor.execute("SELECT COUNT(*) FROM audit_audithead WHERE id = %s", [1])
    assert seen == ["SELECT COUNT(*) FROM audit_audithead WHERE id = %s"]
    with pytest.raises(DatabaseError), prepared_cursor(connection) as cursor:
        cursor.execute("SELECT no_such_column FROM audit_audithead WHERE id = %s", [1])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plan caching is PostgreSQL's")
def test_on_postgresql_both_databases_plan_prepared_statements_once():
    # With the default (auto), PostgreSQL planned the person and key lookups afresh at every
    # execution, 0.25 ms each; the generic plan is the same index lookup.
    from django.db import connections

    for alias in ("default", "keystore"):
        with connections[alias].cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            assert cursor.fetchone() == ("force_generic_plan",), alias
