"""Shared test fixtures: a fixed cast of staff, an organization and a person."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from hypothesis import settings as hypothesis_settings

from rekisteri.accounts.models import Role
from rekisteri.audit.actor import Actor

PASSWORD = "correct horse battery staple 42"

# Property tests assert what a function returns, never how fast: speed is measured in
# benchmarks/. Hypothesis's default 200 ms deadline per example failed them on a busy machine.
hypothesis_settings.register_profile("rekisteri", deadline=None)
hypothesis_settings.load_profile("rekisteri")


def _force_login_with_second_factor():
    """force_login stands for a complete login: password and, where required, the second factor
    (rekisteri/security/testing.py). The login and two-factor tests go through the real pages."""
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        import time

        from rekisteri.accounts.sessions import SEEN, STARTED
        from rekisteri.security.testing import second_factor_given

        # As the login view does: the session's lifetimes start now.
        session = self.session
        session[STARTED] = session[SEEN] = int(time.time())
        session.save()

        second_factor_given(self, user)

    Client.force_login = force_login


_force_login_with_second_factor()


def _static_files_listed_once():
    """WhiteNoise lists and stats every static file (180, the admin's included) each time its
    middleware is made, and the test client makes the middleware stack anew for every Client:
    about 20 ms a client, half of the permission matrix's time. A served process makes it once.
    The files do not change during a run, so the listing is made once per set of settings
    that shape it, and every later middleware gets the same (read-only) entries."""
    from django.conf import settings
    from whitenoise.middleware import WhiteNoiseMiddleware

    original = WhiteNoiseMiddleware.add_files_from_finders
    listed: dict[tuple, dict] = {}

    def add_files_from_finders(self):
        key = (
            self.static_prefix,
            self.max_age,
            self.allow_all_origins,
            self.charset,
            tuple(map(str, settings.STATICFILES_DIRS)),
            tuple(settings.INSTALLED_APPS),
        )
        if key not in listed:
            before = dict(self.files)
            original(self)
            listed[key] = {url: entry for url, entry in self.files.items() if before.get(url) is not entry}
        else:
            self.files.update(listed[key])

    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders


_static_files_listed_once()


# A fixed master key for tests, so no key file is written and runs are repeatable.
TEST_MASTER_KEY = "test-1:" + "A" * 43
# The audit trail's key (HMAC chain, checkpoint signatures), likewise.
TEST_AUDIT_KEY = "audit-test-1:" + "B" * 43


# ./test.sh runs the suite on SQLite and again on PostgreSQL; the second pass needs only the
# tests whose outcome can depend on the database.
ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


# --- The test results file -------------------------------------------------------------------
# The promise map's page (privacy officer) shows whether each promise's tests passed, failed or
# did not run. Every run records its outcomes into REKISTERI_TEST_RESULTS_FILE when that is set
# (./test.sh sets it); rekisteri.lib.suite_results merges them under a lock, so the SQLite and
# PostgreSQL passes can both write. Under pytest-xdist only the controller writes.
RESULTS_FILE = os.environ.get("REKISTERI_TEST_RESULTS_FILE", "")
_outcomes: dict[str, str] = {}
_started_at = datetime.now(UTC)


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def pytest_sessionstart(session):
    global _started_at
    _started_at = datetime.now(UTC)


def pytest_runtest_logreport(report):
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.skipped:
        _outcomes.setdefault(report.nodeid, "skipped")
    elif report.when == "call":
        _outcomes.setdefault(report.nodeid, "passed")


def pytest_sessionfinish(session, exitstatus):
    if not RESULTS_FILE or not _outcomes or hasattr(session.config, "workerinput"):
        return
    from rekisteri.lib.suite_results import record

    record(
        Path(RESULTS_FILE),
        _outcomes,
        database="postgresql" if ON_POSTGRESQL else "sqlite",
        commit=_git("rev-parse", "HEAD"),
        dirty=bool(_git("status", "--porcelain", "--untracked-files=no")),
        started_at=_started_at,
        finished_at=datetime.now(UTC),
    )


def pytest_collection_modifyitems(config, items):
    # Personal values live in "default" and their keys in "keystore": every test that uses
    # the database may use both.
    for item in items:
        marker = item.get_closest_marker("django_db")
        uses_db = marker is not None or {"db", "transactional_db", "live_server"} & set(item.fixturenames)
        if not uses_db:
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        if "transactional_db" in item.fixturenames or "live_server" in item.fixturenames:
            kwargs.setdefault("transaction", True)
        kwargs.setdefault("databases", "__all__")
        if kwargs.get("transaction"):
            # A transactional test ends by emptying every table, the role groups of the data
            # migrations included; without restoring them, every later test that logs in meets
            # the roles re-created under new ids (auth_group.name clashes in the browser tests).
            kwargs["serialized_rollback"] = True
        if marker is None or kwargs != marker.kwargs:
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)
    if ON_POSTGRESQL:
        # Tests that touch no database (normalisers, crypto, settings, commands run against
        # a SQLite installation of their own) ran in the SQLite pass already.
        independent = [
            item
            for item in items
            if item.get_closest_marker("django_db") is None and item.get_closest_marker("database") is None
        ]
        if independent:
            config.hook.pytest_deselected(items=independent)
            kept = set(map(id, independent))
            items[:] = [item for item in items if id(item) not in kept]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases, then the session's template installation copied from
    them before any test writes (tests/live.py): one migration from nothing a run, not two."""
    from tests.live import template_from_test_databases

    with django_db_blocker.unblock():
        template_from_test_databases()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Let a transactional test's database flush pass the audit trail's append-only triggers.

    A transactional test (live server, writer threads) ends by emptying every table, which
    the triggers forbid for the audit tables; they are dropped just for that flush and put
    back right after it.
    """
    marker = item.get_closest_marker("django_db")
    blocker = item.funcargs.get("django_db_blocker") if hasattr(item, "funcargs") else None
    if blocker is None or marker is None or not marker.kwargs.get("transaction"):
        yield
        return
    from django.db import connection

    from rekisteri.audit.testing import create_trigger_sql, drop_trigger_sql

    with blocker.unblock():
        _run(connection, drop_trigger_sql(connection.vendor))
    yield
    if nextitem is None:
        return  # the last test: its teardown has destroyed the test databases
    with blocker.unblock():
        _run(connection, create_trigger_sql(connection.vendor))


def _run(connection, statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    # Argon2 costs ~0.2 s a hash; one test (test_password_hashing) asserts the real one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MASTER_KEY = TEST_MASTER_KEY
    settings.AUDIT_KEY = TEST_AUDIT_KEY
    settings.AUDIT_SYSLOG = None
    # The configured purposes stay cached for the whole run: query counts must not vary.
    settings.PURPOSES_CACHE_SECONDS = None
    # Keys cached by the previous test belong to rows its rollback removed.
    from django.core.cache import cache

    from rekisteri.keystore.services import reset_state

    reset_state()
    # Counts kept for a few minutes (the dashboard's) belong to the previous test's rows.
    cache.clear()
    yield
    reset_state()


@dataclass
class Cast:
    sales: object
    crm: object
    marketing: object
    trainer: object
    privacy_officer: object
    admin: object
    sales_no_nda: object
    nda_in_future: object
    inactive: object
    outsider: object
    superuser_no_nda: object

    def with_access(self):
        return [self.sales, self.crm, self.marketing, self.trainer, self.privacy_officer, self.admin]

    def without_access(self):
        return [self.sales_no_nda, self.nda_in_future, self.inactive, self.outsider, self.superuser_no_nda]


def make_staff(username: str, role: str | None, nda: date | None, **user_fields):
    from django.contrib.auth.models import Group

    from rekisteri.accounts.models import StaffProfile
    from rekisteri.accounts.roles import group_name

    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **user_fields)
    if role is not None:
        StaffProfile.objects.create(user=user, role=role, nda_signed_on=nda)
        user.groups.set([Group.objects.get(name=group_name(role))])
        # The fixed cast has read the current written instructions (section 11); the
        # governance tests make members who have not.
        from rekisteri.governance.models import InstructionAcknowledgement
        from rekisteri.governance.selectors import current_instruction

        current = current_instruction()
        if current is not None:
            InstructionAcknowledgement.objects.create(user=user, instruction=current)
    return user


@pytest.fixture
def cast(db) -> Cast:
    # The configured purposes (section 10) are read before any test counts its queries.
    from rekisteri.privacy.purposes import purpose_problem

    purpose_problem("customer_relationship")
    signed = date(2024, 1, 15)
    return Cast(
        **make_staff_members(
            sales=("sanna.sales", Role.SALES, signed, {}),
            crm=("cecilia.crm", Role.CRM, signed, {}),
            marketing=("markus.marketing", Role.MARKETING, signed, {}),
            trainer=("tiina.trainer", Role.TRAINER, signed, {}),
            privacy_officer=("tero.privacy", Role.PRIVACY_OFFICER, signed, {}),
            admin=("aada.admin", Role.ADMIN, signed, {}),
            sales_no_nda=("niko.nonda", Role.SALES, None, {}),
            nda_in_future=("fiia.future", Role.SALES, date(2999, 1, 1), {}),
            inactive=("ilkka.inactive", Role.SALES, signed, {"is_active": False}),
            outsider=("olli.outsider", None, None, {}),
            superuser_no_nda=("super.user", None, None, {"is_superuser": True, "is_staff": True}),
        )
    )


def make_staff_members(**members: tuple[str, str | None, date | None, dict]) -> dict[str, object]:
    """Several make_staff() at once, the same rows in a handful of queries.

    The cast is set up for about half the suite's tests: eleven make_staff() calls cost
    about 66 queries and 40 ms a test, these bulk inserts about a tenth of that.
    """
    from django.contrib.auth.models import Group

    from rekisteri.accounts.models import StaffProfile
    from rekisteri.accounts.roles import group_name
    from rekisteri.governance.models import InstructionAcknowledgement
    from rekisteri.governance.selectors import current_instruction

    model = get_user_model()
    users = {}
    for attr, (username, _role, _nda, user_fields) in members.items():
        user = model(username=model.normalize_username(username), **user_fields)
        user.set_password(PASSWORD)
        users[attr] = user
    model.objects.bulk_create(users.values())
    staff = {attr: spec for attr, spec in members.items() if spec[1] is not None}
    if staff:
        groups = {
            group.name: group
            for group in Group.objects.filter(name__in={group_name(s[1]) for s in staff.values()})
        }
        StaffProfile.objects.bulk_create(
            StaffProfile(user=users[attr], role=role, nda_signed_on=nda)
            for attr, (_u, role, nda, _f) in staff.items()
        )
        model.groups.through.objects.bulk_create(
            model.groups.through(user_id=users[attr].pk, group_id=groups[group_name(role)].pk)
            for attr, (_u, role, _n, _f) in staff.items()
        )
        current = current_instruction()
        if current is not None:
            InstructionAcknowledgement.objects.bulk_create(
                InstructionAcknowledgement(user=users[attr], instruction=current) for attr in staff
            )
    return users


@pytest.fixture
def system_actor() -> Actor:
    return Actor.system("test", origin="cli")


@pytest.fixture
def organization(db, system_actor):
    from rekisteri.organizations.services import organization_create

    return organization_create(
        actor=system_actor,
        name="Tampereen Testi Oy",
        business_id="2077474-0",
        city="Tampere",
        status="customer",
    )


@pytest.fixture
def person(db, system_actor, organization):
    from rekisteri.people.services import person_create

    return person_create(
        actor=system_actor,
        first_name="Anna",
        last_name="Virtanen",
        email="anna.virtanen@testi.fi",
        phone="040 123 4567",
        organization=organization,
        title="Hankintapäällikkö",
        categories=["customer_representative"],
    )


@pytest.fixture
def student(db, system_actor, organization):
    """A person in the student category: what a trainer sees (people.visibility)."""
    from rekisteri.people.services import person_create

    return person_create(
        actor=system_actor,
        first_name="Oona",
        last_name="Kurssila",
        email="oona.kurssila@testi.fi",
        phone="040 765 4321",
        organization=organization,
        title="Asiantuntija",
        categories=["student"],
    )


def persons_named(last_name: str) -> list:
    """Persons with this last name. Names are encrypted, so tests compare after decryption."""
    from rekisteri.people.models import Person

    return [person for person in Person.objects.all() if person.last_name == last_name]
