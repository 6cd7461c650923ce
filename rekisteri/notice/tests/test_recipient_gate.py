"""Section 12: no data goes to a new recipient (a processor, a group company) before the
notice version naming it takes effect; the refusal names the effective date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from rekisteri.notice.services import version_publish
from rekisteri.privacy import configuration as privacy
from rekisteri.privacy.disclosure import disclosure_record, disclosure_record_many
from rekisteri.privacy.models import Disclosure, GroupCompany

pytestmark = pytest.mark.django_db

PAYROLL = "Palkanlaskenta Oy"


def _payroll(actor):
    return privacy.recipient_create(
        actor=actor,
        kind="processor",
        name=PAYROLL,
        service_fi="Palkanlaskennan palveluntarjoaja",
        service_en="Payroll service provider",
    )


def _disclose(actor, person, **recipient):
    return disclosure_record(actor=actor, person=person, categories=["name"], **recipient)


def test_before_any_version_is_in_force_a_new_processor_may_receive_data(system_actor, person):
    _payroll(system_actor)
    _disclose(system_actor, person, recipient_name=PAYROLL)
    assert Disclosure.objects.filter(recipient_name=PAYROLL).exists()


def test_a_processor_the_notice_in_force_does_not_name_is_refused_until_its_version_applies(
    system_actor, person
):
    today = timezone.localdate()
    version_publish(actor=system_actor, effective_on=today, summary="First")
    _payroll(system_actor)
    with translation.override("en"), pytest.raises(ValidationError, match="does not name this recipient"):
        _disclose(system_actor, person, recipient_name=PAYROLL)
    effective = today + timedelta(days=30)
    version_publish(actor=system_actor, effective_on=effective, summary="Payroll", significant=True)
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match=f"takes effect on {effective.isoformat()}") as refused,
    ):
        _disclose(system_actor, person, recipient_name=PAYROLL)
    assert "recipient" in refused.value.message_dict
    with translation.override("en"), pytest.raises(ValidationError, match=effective.isoformat()):
        disclosure_record_many(
            actor=system_actor,
            person_ids=[person.pk],
            categories=["name"],
            purpose="customer_relationship",
            recipient_name=PAYROLL,
        )
    # A processor the notice in force names, and a recipient outside the register, are unaffected.
    _disclose(system_actor, person, recipient_name="CRM-järjestelmän palveluntarjoaja")
    _disclose(system_actor, person, recipient_name="Asiakasyritys Oy")
    assert not Disclosure.objects.filter(recipient_name=PAYROLL).exists()


def test_from_its_effective_date_the_new_processor_may_receive_data(system_actor, person, monkeypatch):
    today = timezone.localdate()
    version_publish(actor=system_actor, effective_on=today, summary="First")
    _payroll(system_actor)
    effective = today + timedelta(days=30)
    version_publish(actor=system_actor, effective_on=effective, summary="Payroll", significant=True)
    monkeypatch.setattr(timezone, "localdate", lambda *args: effective)
    _disclose(system_actor, person, recipient_name=PAYROLL)
    assert Disclosure.objects.filter(recipient_name=PAYROLL).count() == 1


def test_a_new_group_company_receives_data_only_from_its_version(system_actor, person, monkeypatch):
    today = timezone.localdate()
    version_publish(actor=system_actor, effective_on=today, summary="First")
    company = privacy.group_company_create(actor=system_actor, name="Insta Uusi Oy", business_id="2077474-0")
    effective = today + timedelta(days=30)
    with translation.override("en"), pytest.raises(ValidationError, match="does not name this recipient"):
        _disclose(system_actor, person, recipient_company=company)
    version_publish(actor=system_actor, effective_on=effective, summary="A new company", significant=True)
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match=f"takes effect on {effective.isoformat()}"),
    ):
        _disclose(system_actor, person, recipient_company=company)
    _disclose(system_actor, person, recipient_company=GroupCompany.objects.get(name="Insta DefSec Oy"))
    monkeypatch.setattr(timezone, "localdate", lambda *args: effective)
    _disclose(system_actor, person, recipient_company=company)
    assert Disclosure.objects.filter(recipient_company=company).count() == 1
