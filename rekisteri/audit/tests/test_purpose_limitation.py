"""Section 10: a purpose not in the configuration cannot be used. Services state their
purpose; the audit layer (and the outbox) refuse an unknown or switched-off one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from rekisteri.accounts.roles import ROLE_DEFAULT_PURPOSE
from rekisteri.audit.models import AuditEvent
from rekisteri.audit.purposes import PurposeNotConfigured
from rekisteri.audit.services import audit_record, audit_record_many
from rekisteri.outbox.services import mail_enqueue
from rekisteri.privacy.disclosure import disclosure_record
from rekisteri.privacy.models import Disclosure, Purpose
from rekisteri.privacy.purposes import purpose_require, purposes_cache_clear
from rekisteri.privacy.services import basis_set
from tests.source_trees import parsed

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# The calls through which code states the purpose it processes personal data for.
PROCESSING_CALLS = {
    "audit_record",
    "mail_enqueue",
    "disclosure_record",
    "disclosure_record_many",
    "persons_export",
    "purpose_require",
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    purposes_cache_clear()
    yield
    purposes_cache_clear()


def test_an_unknown_purpose_is_refused_with_a_clear_error_and_nothing_is_recorded(system_actor, person):
    before = AuditEvent.objects.count()
    with pytest.raises(PurposeNotConfigured, match="'espionage' is not in the register's configuration"):
        audit_record(
            actor=system_actor,
            action="view",
            object_type="person",
            person_ids=[person.pk],
            purpose="espionage",
        )
    with pytest.raises(PurposeNotConfigured):
        audit_record_many(
            actor=system_actor,
            events=[{"action": "view", "object_type": "person", "purpose": "espionage"}],
        )
    assert AuditEvent.objects.count() == before


def test_a_service_that_states_an_unknown_purpose_is_refused(system_actor, person):
    with pytest.raises(PurposeNotConfigured):
        disclosure_record(
            actor=system_actor,
            person=person,
            recipient_name="Palvelu Oy",
            categories=["name"],
            purpose="espionage",
        )
    assert not Disclosure.objects.exists()
    with pytest.raises(PurposeNotConfigured):
        mail_enqueue(to="anna@testi.fi", subject="Hei", text="Hei", kind="test", purpose="espionage")
    with pytest.raises(PurposeNotConfigured):
        purpose_require("espionage")
    assert purpose_require("training") == "training"


def test_a_purpose_switched_off_is_refused_and_a_new_one_accepted_at_once(system_actor, person):
    audit_record(actor=system_actor, action="view", object_type="person", purpose="training")
    Purpose.objects.filter(slug="training").update(active=False)
    purposes_cache_clear()
    with pytest.raises(PurposeNotConfigured, match="switched off"):
        audit_record(actor=system_actor, action="view", object_type="person", purpose="training")
    with translation.override("en"), pytest.raises(ValidationError, match="switched off"):
        basis_set(actor=system_actor, person=person, purpose="training", basis="contract")
    Purpose.objects.create(slug="events", name_fi="Tapahtumat", name_en="Events", position=9)
    audit_record(actor=system_actor, action="view", object_type="person", purpose="events")


def test_an_act_without_a_purpose_passes(system_actor):
    audit_record(actor=system_actor, action="login", object_type="user")


def _is_audit_event(node: ast.Dict) -> bool:
    keys = {key.value for key in node.keys if isinstance(key, ast.Constant)}
    return {"action", "object_type"} <= keys


def _stated_purposes() -> set[tuple[str, str]]:
    """(file, purpose) for every purpose the code states as a literal: `purpose=` in the
    processing calls, `"purpose":` in bulk audit events (dicts with an action and an object
    type), and `PURPOSE` constants."""
    found: set[tuple[str, str]] = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if {"tests", "migrations"} & set(relative.parts):
            continue
        tree = parsed(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in PROCESSING_CALLS:
                    for keyword in node.keywords:
                        if keyword.arg == "purpose" and isinstance(keyword.value, ast.Constant):
                            found.add((str(relative), keyword.value.value))
            elif isinstance(node, ast.Dict) and _is_audit_event(node):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "purpose"
                        and isinstance(value, ast.Constant)
                        and value.value
                    ):
                        found.add((str(relative), value.value))
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if (
                        isinstance(target, ast.Name)
                        and target.id == "PURPOSE"
                        and isinstance(node.value, ast.Constant)
                    ):
                        found.add((str(relative), node.value.value))
    return found


def test_every_purpose_the_code_states_is_configured():
    stated = _stated_purposes()
    # The scan finds the purposes where they are known to be stated.
    assert ("notice/informing.py", "rights_and_obligations") in stated
    assert ("privacy/authority_disclosure.py", "rights_and_obligations") in stated
    configured = set(Purpose.objects.filter(active=True).values_list("slug", flat=True))
    unknown = sorted((file, purpose) for file, purpose in stated if purpose and purpose not in configured)
    assert unknown == []
    assert set(ROLE_DEFAULT_PURPOSE.values()) <= configured


def test_a_switch_off_saved_here_is_seen_at_once_and_elsewhere_after_the_cache_time(system_actor, settings):
    audit_record(actor=system_actor, action="view", object_type="person", purpose="products_and_services")
    purpose = Purpose.objects.get(slug="products_and_services")
    purpose.active = False
    purpose.save()  # this process: the cache is cleared
    with pytest.raises(PurposeNotConfigured, match="switched off"):
        audit_record(actor=system_actor, action="view", object_type="person", purpose="products_and_services")
    Purpose.objects.filter(pk=purpose.pk).update(active=True)  # another process, no signal here
    settings.PURPOSES_CACHE_SECONDS = 0
    audit_record(actor=system_actor, action="view", object_type="person", purpose="products_and_services")
