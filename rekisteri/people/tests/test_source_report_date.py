"""Section 5: a Suomen Asiakastieto company check is recorded as a source with its report date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone, translation

from rekisteri.privacy.models import DataSource
from rekisteri.privacy.registry import entry_for
from rekisteri.privacy.services import source_add

pytestmark = pytest.mark.django_db


def test_an_asiakastieto_check_is_recorded_with_its_report_date(system_actor, person):
    today = timezone.localdate()
    report = today - timedelta(days=2)
    source = source_add(actor=system_actor, person=person, kind="asiakastieto", report_date=report)
    source.refresh_from_db()
    assert source.report_date == report
    assert entry_for("privacy.DataSource").export(source)["report_date"] == report.isoformat()


def test_an_asiakastieto_check_without_a_report_date_is_refused(system_actor, person):
    with translation.override("en"), pytest.raises(ValidationError, match="date of its report"):
        source_add(actor=system_actor, person=person, kind="asiakastieto")
    with translation.override("en"), pytest.raises(ValidationError, match="after the data was obtained"):
        source_add(
            actor=system_actor,
            person=person,
            kind="asiakastieto",
            report_date=timezone.localdate() + timedelta(days=1),
        )
    assert not DataSource.objects.exists()


def test_only_an_asiakastieto_check_has_a_report_date(system_actor, person):
    with translation.override("en"), pytest.raises(ValidationError, match="Only an Asiakastieto check"):
        source_add(actor=system_actor, person=person, kind="public_source", report_date=timezone.localdate())


def test_the_database_refuses_an_asiakastieto_source_without_a_report_date(person):
    with pytest.raises(IntegrityError), transaction.atomic():
        DataSource.objects.create(person=person, kind="asiakastieto", detail="")


def test_the_card_and_the_form_show_and_take_the_report_date(cast, system_actor, person):
    client = Client()
    client.force_login(cast.crm, backend="django.contrib.auth.backends.ModelBackend")
    report = timezone.localdate() - timedelta(days=3)
    response = client.post(
        f"/people/{person.pk}/sources/new/",
        {"kind": "asiakastieto", "detail": "Päättäjätiedot", "report_date": report.isoformat()},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert DataSource.objects.get(person=person).report_date == report
    page = client.get(f"/people/{person.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "report of" in page
    missing = client.post(
        f"/people/{person.pk}/sources/new/", {"kind": "asiakastieto"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert missing.status_code in (200, 422)
    assert "date of its report" in missing.content.decode()
    assert DataSource.objects.filter(person=person).count() == 1


def test_the_access_package_names_the_report_date(system_actor, person):
    from rekisteri.rights.fulfilment.information import art15_information

    report = timezone.localdate() - timedelta(days=1)
    source = source_add(actor=system_actor, person=person, kind="asiakastieto", report_date=report)
    info = art15_information(bases=[], sources=[source], held_categories=set(), disclosures=[])
    assert info["sources"][0]["report_date"] == report.isoformat()


def test_the_organization_page_shows_its_asiakastieto_checks_with_the_newest_report(
    cast, system_actor, person, student, organization
):
    older = timezone.localdate() - timedelta(days=30)
    newer = timezone.localdate() - timedelta(days=2)
    source_add(actor=system_actor, person=person, kind="asiakastieto", report_date=older)
    source_add(actor=system_actor, person=student, kind="asiakastieto", report_date=newer)
    source_add(actor=system_actor, person=student, kind="public_source")
    client = Client()
    client.force_login(cast.crm, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/organizations/{organization.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Suomen Asiakastieto checks" in page
    assert "2 checks, newest report of" in page
