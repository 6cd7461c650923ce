"""A bare Django site with one insert endpoint: the yardstick of the write-path pair (writes.py).

Served by gunicorn exactly as the register is (`benchmarks.bare_site:application`). Its
database settings are the register's own (`rekisteri.settings.DATABASES["default"]` for the
DATABASE_URL of this process): SQLite in WAL with synchronous=FULL and BEGIN IMMEDIATE, or
PostgreSQL with the same connection options. One request parses a JSON body, inserts one row
in a transaction (a durable commit) and answers 201 with the new id: no middleware, no
authentication, no encryption, no audit.
"""

from __future__ import annotations

import json
import os

import django
from django.conf import settings

TABLE = "bare_insert"
CREATE_TABLE = {
    "sqlite": f"CREATE TABLE IF NOT EXISTS {TABLE} (id integer PRIMARY KEY, first_name text NOT NULL, "
    "last_name text NOT NULL, email text NOT NULL, created_at text NOT NULL)",
    "postgresql": f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, first_name text NOT NULL, "
    "last_name text NOT NULL, email text NOT NULL, created_at timestamptz NOT NULL)",
}


def _configure() -> None:
    from rekisteri import settings as project  # reads DATABASE_URL and REKISTERI_DATA_DIR

    database = project.DATABASES["default"]
    engine = database["ENGINE"]
    if engine == "rekisteri.db.sqlite3":
        engine = os.environ.get("REKISTERI_BARE_ENGINE", "django.db.backends.sqlite3")

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bare-benchmark-site-" + "x" * 40,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
        # Django's own SQLite backend: the register's queues writers on a file lock
        # (rekisteri.db.sqlite3); REKISTERI_BARE_ENGINE=rekisteri.db.sqlite3 gives the bare
        # site that lock too.
        DATABASES={"default": {**database, "ENGINE": engine}},
        USE_TZ=True,
    )
    django.setup()


if not settings.configured:
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    _configure()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    data = json.loads(request.body)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (first_name, last_name, email, created_at) "
            "VALUES (%s, %s, %s, %s) RETURNING id",
            [data["first_name"], data["last_name"], data.get("email", ""), timezone.now()],
        )
        row_id = cursor.fetchone()[0]
    return JsonResponse({"id": row_id}, status=201)


def create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE[connection.vendor])


urlpatterns = [path("insert", insert)]
application = get_wsgi_application()
