"""prepared_cursor: PostgreSQL prepares its statements; Django's cursor behaviour is kept."""

import pytest
from django.db import DatabaseError, connection

from rekisteri.lib.prepared import prepared_cursor

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
