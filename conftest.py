"""Shared test fixtures: a fixed cast of staff, an organization and a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import import_module

import pytest
from django.contrib.auth import get_user_model

from rekisteri.accounts.models import Role
from rekisteri.audit.actor import Actor

PASSWORD = "correct horse battery staple 42"


# A fixed master key for tests, so no key file is written and runs are repeatable.
TEST_MASTER_KEY = "test-1:" + "A" * 43


def pytest_collection_modifyitems(items):
    # Personal values live in "default" and their keys in "keystore": every test that uses
    # the database may use both.
    for item in items:
        marker = item.get_closest_marker("django_db")
        uses_db = marker is not None or {"db", "transactional_db", "live_server"} & set(item.fixturenames)
        if uses_db and (marker is None or "databases" not in marker.kwargs):
            kwargs = dict(marker.kwargs) if marker is not None else {}
            if "transactional_db" in item.fixturenames or "live_server" in item.fixturenames:
                kwargs.setdefault("transaction", True)
            item.add_marker(pytest.mark.django_db(databases="__all__", **kwargs), append=False)


_triggers = import_module("rekisteri.audit.migrations.0002_append_only_triggers")


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

    with blocker.unblock():
        _run(connection, _triggers.drop_sql(connection.vendor))
    yield
    if nextitem is None:
        return  # the last test: its teardown has destroyed the test databases
    with blocker.unblock():
        _run(connection, _triggers.create_sql(connection.vendor))


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
    # Keys cached by the previous test belong to rows its rollback removed.
    from rekisteri.keystore.services import reset_state

    reset_state()
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
    return user


@pytest.fixture
def cast(db) -> Cast:
    signed = date(2024, 1, 15)
    return Cast(
        sales=make_staff("sanna.sales", Role.SALES, signed),
        crm=make_staff("cecilia.crm", Role.CRM, signed),
        marketing=make_staff("markus.marketing", Role.MARKETING, signed),
        trainer=make_staff("tiina.trainer", Role.TRAINER, signed),
        privacy_officer=make_staff("tero.privacy", Role.PRIVACY_OFFICER, signed),
        admin=make_staff("aada.admin", Role.ADMIN, signed),
        sales_no_nda=make_staff("niko.nonda", Role.SALES, None),
        nda_in_future=make_staff("fiia.future", Role.SALES, date(2999, 1, 1)),
        inactive=make_staff("ilkka.inactive", Role.SALES, signed, is_active=False),
        outsider=make_staff("olli.outsider", None, None),
        superuser_no_nda=make_staff("super.user", None, None, is_superuser=True, is_staff=True),
    )


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


def persons_named(last_name: str) -> list:
    """Persons with this last name. Names are encrypted, so tests compare after decryption."""
    from rekisteri.people.models import Person

    return [person for person in Person.objects.all() if person.last_name == last_name]
