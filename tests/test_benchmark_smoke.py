"""The benchmark's functions still run (a few hundred persons; speed targets live in the benchmark)."""

import pytest

from benchmarks import scenarios
from rekisteri.audit.services import audit_verify
from rekisteri.keystore import services as keystore
from rekisteri.keystore.models import DataKey
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.people.models import Person
from rekisteri.privacy.models import Disclosure
from rekisteri.rights.models import DataSubjectRequest

pytestmark = pytest.mark.django_db

OPERATION_KEYS = ["bulk_create", *(operation.key for operation in scenarios.OPERATIONS)]


def test_the_benchmark_runs_every_operation_with_encryption(settings):
    results = scenarios.run_all(persons=200, reads=5, erasures=3, organizations=5, batch_size=64)
    assert list(results) == OPERATION_KEYS
    assert results["bulk_create"]["rate"] > 0
    assert results["card_read"]["hits"] == scenarios.INTERACTIONS_PER_CARD
    assert results["email_lookup"]["hits"] == 1
    assert results["name_search"]["hits"] >= 1
    assert results["two_names"]["hits"] >= 1
    # Finding people (issue 10): every search finds someone, every list page has persons.
    searches = ("two_letters", "phone_prefix", "email_domain")
    for key in (*searches, "list_org_name", "list_contact", "list_by_org"):
        assert results[key]["hits"] >= 1, key
    assert results["list_bound"]["hits"] >= 25  # the whole list's total, sorted by name
    assert results["export"]["hits"] >= 1 and results["export"]["samples"] == 3
    # The student register (issue 12): every enrolled person is in each report.
    for key in ("training_report", "training_report_pdf"):
        assert results[key]["hits"] >= 25 and results[key]["samples"] == 3, key
    assert all(
        results[key]["samples"] == 5 for key in ("card_read", "email_lookup", "name_search", "two_names")
    )
    assert results["erasure"]["samples"] == 3
    assert results["access_package"]["samples"] == 5 and results["portal_intake"]["samples"] == 5
    assert Person.objects.count() == 197
    assert Disclosure.objects.exists()  # each export is recorded as disclosures
    # One key per remaining person (portal requests own keys of their own besides).
    person_ids = [str(pk) for pk in Person.objects.values_list("pk", flat=True)]
    assert DataKey.objects.using(KEYSTORE_DB).filter(person_id__in=person_ids).count() == 197
    assert DataSubjectRequest.objects.count() == 5
    assert audit_verify().ok


def test_the_benchmark_runs_with_encryption_switched_off_and_restores_it():
    original = keystore.create_keys
    with scenarios.encryption_switched_off():
        results = scenarios.run_all(persons=200, reads=5, erasures=3, organizations=5, batch_size=64)
        person = Person.objects.first()
        assert person.first_name  # readable through the plain stand-ins
    assert list(results) == OPERATION_KEYS
    assert results["email_lookup"]["hits"] == 1
    assert not DataKey.objects.using(KEYSTORE_DB).exists()  # no keys were made
    assert keystore.create_keys is original
    from rekisteri.people import bulk

    assert bulk.create_keys is original
