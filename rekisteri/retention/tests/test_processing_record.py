"""Art. 30: the record of processing names every configured purpose, recipient and rule."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from rekisteri.privacy.models import Purpose, Recipient
from rekisteri.retention.models import RetentionRule
from rekisteri.retention.processing_record import processing_record, processing_record_jsonld

pytestmark = pytest.mark.django_db


def test_the_record_names_every_configured_purpose_recipient_and_rule(db):
    Recipient.objects.create(
        kind="processor", name="Pilvi Oy", service_fi="Pilvi", service_en="Cloud", data_location="USA"
    )
    record = processing_record()
    assert {p["slug"] for p in record["purposes"]} == set(Purpose.objects.values_list("slug", flat=True))
    assert {r["name"] for r in record["recipients"]} == set(
        Recipient.objects.filter(active=True).values_list("name", flat=True)
    )
    assert {r["code"] for r in record["retention_rules"]} == set(
        RetentionRule.objects.filter(active=True).values_list("code", flat=True)
    )
    assert record["transfers_outside_eea"] == ["Pilvi Oy"]
    marketing = next(p for p in record["purposes"] if p["slug"] == "direct_marketing")
    assert "tracking" in marketing["categories"] and "ceiling" in marketing["retention_rules"]


def test_the_json_ld_uses_dpv_terms_for_every_purpose(person, system_actor):
    from rekisteri.privacy.services import basis_set

    basis_set(actor=system_actor, person=person, purpose="customer_relationship", basis="contract")
    document = processing_record_jsonld()
    assert document["@context"]["dpv"] == "https://w3id.org/dpv#"
    activities = [node for node in document["@graph"] if node["@type"] == "dpv:PersonalDataHandling"]
    assert len(activities) == Purpose.objects.count()
    customer = next(a for a in activities if a["@id"].endswith("#customer_relationship"))
    assert {"@id": "dpv:Contract"} in customer["dpv:hasLegalBasis"]
    assert customer["dpv:hasStorageCondition"][0]["@type"] == "dpv:StorageDuration"
    assert any(node["@type"] == "dpv:DataProcessor" for node in document["@graph"])
    json.dumps(document)  # serialisable as it is


def test_the_privacy_officer_reads_it_as_html_and_json_ld(cast):
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/record-of-processing/")
    assert page.status_code == 200 and "Insta DefSec Oy" in page.content.decode()
    document = client.get("/record-of-processing/?format=jsonld")
    assert document["Content-Type"] == "application/ld+json"
    assert "@graph" in document.json()
