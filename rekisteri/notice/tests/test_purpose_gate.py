"""Section 12: processing under a new purpose starts only when the version stating it applies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from rekisteri.notice.services import version_publish
from rekisteri.privacy.models import ProcessingBasis, Purpose
from rekisteri.privacy.services import basis_set

pytestmark = pytest.mark.django_db


def _events_purpose():
    return Purpose.objects.create(slug="events", name_fi="Tapahtumat", name_en="Events", position=9)


def test_before_any_version_every_configured_purpose_may_be_used(system_actor, person):
    _events_purpose()
    basis_set(actor=system_actor, person=person, purpose="events", basis="consent")
    assert ProcessingBasis.objects.filter(person=person, purpose__slug="events").exists()


def test_a_purpose_the_notice_in_force_does_not_state_is_refused_until_its_version_applies(
    system_actor, person
):
    today = timezone.localdate()
    version_publish(actor=system_actor, effective_on=today, summary="First")
    _events_purpose()
    with translation.override("en"), pytest.raises(ValidationError, match="does not state this purpose"):
        basis_set(actor=system_actor, person=person, purpose="events", basis="consent")
    effective = today + timedelta(days=30)
    version_publish(actor=system_actor, effective_on=effective, summary="Events", significant=True)
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match=f"takes effect on {effective.isoformat()}"),
    ):
        basis_set(actor=system_actor, person=person, purpose="events", basis="consent")
    # A purpose the notice in force states is unaffected.
    basis_set(actor=system_actor, person=person, purpose="training", basis="contract")
    assert not ProcessingBasis.objects.filter(purpose__slug="events").exists()


def test_from_its_effective_date_the_new_purpose_may_be_used(system_actor, person, monkeypatch):
    today = timezone.localdate()
    version_publish(actor=system_actor, effective_on=today, summary="First")
    _events_purpose()
    effective = today + timedelta(days=30)
    version_publish(actor=system_actor, effective_on=effective, summary="Events", significant=True)
    monkeypatch.setattr(timezone, "localdate", lambda *args: effective)
    basis_set(actor=system_actor, person=person, purpose="events", basis="consent", valid_from=effective)
    assert ProcessingBasis.objects.filter(person=person, purpose__slug="events").exists()
