"""Section 12: a configuration change that alters what the notice says (a purpose, a recipient,
a group company, a retention rule) makes or refreshes the notice draft, in its own transaction,
through the service that makes the change (privacy.configuration, retention.services)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from rekisteri.audit.models import AuditEvent
from rekisteri.errors import codes
from rekisteri.notice.selectors import draft_get
from rekisteri.notice.services import version_publish
from rekisteri.privacy import configuration as privacy
from rekisteri.privacy.models import GroupCompany, Purpose, Recipient
from rekisteri.retention.models import RetentionRule
from rekisteri.retention.services import rule_create, rule_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(system_actor):
    """The default configuration published as version 1, in force today: no draft left."""
    version = version_publish(actor=system_actor, effective_on=timezone.localdate(), summary="First")
    assert draft_get() is None
    return version


def _draft_says(text: str) -> bool:
    draft = draft_get()
    return draft is not None and text in draft.text_fi and text in draft.text_en


def _rule(actor, code="events", period="P1Y"):
    return rule_create(
        actor=actor,
        code=code,
        category="any",
        period=period,
        anchor="last_contact",
        legal_reason_fi="Tapahtumien osallistujat: vuosi viimeisestä yhteydestä.",
        legal_reason_en="Event participants: a year after the last contact.",
    )


def test_a_new_purpose_makes_a_draft_stating_it(published, system_actor):
    privacy.purpose_create(actor=system_actor, slug="events", name_fi="Tapahtumat", name_en="Events")
    draft = draft_get()
    assert draft is not None and "purpose" in draft.reasons
    assert "Tapahtumat" in draft.text_fi and "Events" in draft.text_en
    assert "events" in {purpose["slug"] for purpose in draft.facts["purposes"]}
    assert AuditEvent.objects.filter(object_type="purpose", action="create").exists()


def test_a_changed_and_a_removed_purpose_refresh_the_draft(published, system_actor):
    events = privacy.purpose_create(actor=system_actor, slug="events", name_fi="Tapahtumat", name_en="Events")
    privacy.purpose_update(actor=system_actor, purpose=events, name_fi="Seminaarit", name_en="Seminars")
    assert _draft_says("Semina") and not _draft_says("Tapahtumat")
    privacy.purpose_delete(actor=system_actor, purpose=events)
    # The configuration says what version 1 says again: nothing left to publish.
    assert draft_get() is None
    assert not Purpose.objects.filter(slug="events").exists()


def test_a_purpose_in_use_cannot_be_removed(published, system_actor, person):
    training = Purpose.objects.get(slug="training")
    with translation.override("en"), pytest.raises(ValidationError, match="retention rule"):
        privacy.purpose_delete(actor=system_actor, purpose=training)
    assert draft_get() is None


def test_a_new_processor_makes_a_draft_naming_its_service(published, system_actor):
    privacy.recipient_create(
        actor=system_actor,
        kind="processor",
        name="Palkanlaskenta Oy",
        service_fi="Palkanlaskennan palveluntarjoaja",
        service_en="Payroll service provider",
        data_location="EU/ETA (Suomi)",
    )
    draft = draft_get()
    assert draft is not None and draft.reasons == ["recipient"]
    assert "Palkanlaskennan palveluntarjoaja" in draft.text_fi
    assert "Payroll service provider" in draft.text_en


def test_switching_a_processor_off_drafts_a_notice_without_it(published, system_actor):
    crm = Recipient.objects.get(name="CRM-järjestelmän palveluntarjoaja")
    privacy.recipient_update(actor=system_actor, recipient=crm, active=False)
    draft = draft_get()
    assert draft is not None and "CRM system provider" not in draft.text_en
    assert "CRM system provider" in published.text_en
    # A change the notice does not state (the agreement's review date) leaves no draft behind.
    privacy.recipient_update(actor=system_actor, recipient=crm, active=True)
    assert draft_get() is None
    privacy.recipient_update(actor=system_actor, recipient=crm, review_on=timezone.localdate())
    assert draft_get() is None


def test_a_group_company_added_renamed_and_removed_follows_in_the_draft(published, system_actor):
    company = privacy.group_company_create(actor=system_actor, name="Insta Uusi Oy", business_id="2077474-0")
    assert Recipient.objects.get(group_company=company).kind == "group_company"
    assert _draft_says("Insta Uusi Oy (2077474-0)")
    privacy.group_company_update(actor=system_actor, company=company, name="Insta Toinen Oy")
    assert _draft_says("Insta Toinen Oy") and not _draft_says("Insta Uusi Oy")
    assert Recipient.objects.get(group_company=company).name == "Insta Toinen Oy"
    privacy.group_company_delete(actor=system_actor, company=company)
    assert draft_get() is None
    assert not Recipient.objects.filter(name="Insta Toinen Oy").exists()


def test_a_group_company_with_a_bad_business_id_or_the_controller_is_refused(published, system_actor):
    with translation.override("en"), pytest.raises(ValidationError, match="check digit"):
        privacy.group_company_create(actor=system_actor, name="Väärä Oy", business_id="1234567-8")
    with translation.override("en"), pytest.raises(ValidationError, match="controller"):
        privacy.group_company_delete(actor=system_actor, company=GroupCompany.objects.get(is_controller=True))
    assert draft_get() is None


def test_a_new_retention_rule_makes_a_draft_with_its_reason_and_period(published, system_actor):
    _rule(system_actor)
    draft = draft_get()
    assert draft is not None and draft.reasons == ["retention_rule"]
    assert "Tapahtumien osallistujat: vuosi viimeisestä yhteydestä. Säilytysaika: 1 vuosi." in draft.text_fi
    assert "Event participants: a year after the last contact. Retention period: 1 year." in draft.text_en
    assert {rule["code"]: rule["period"] for rule in draft.facts["retention"]["rules"]}["events"] == "P1Y"


def test_a_changed_retention_period_makes_a_draft_but_a_confirmation_mode_does_not(published, system_actor):
    rule = RetentionRule.objects.get(code="prospect_contact")
    rule_update(actor=system_actor, rule=rule, auto_confirm=False)
    assert draft_get() is None
    rule_update(actor=system_actor, rule=rule, period="P18M")
    draft = draft_get()
    assert draft is not None and draft.reasons == ["retention_rule"]
    assert "Säilytysaika: 1 vuosi 6 kuukautta." in draft.text_fi
    assert "Retention period: 1 year 6 months." in draft.text_en


def test_the_draft_is_part_of_the_change_and_rolls_back_with_it(published, system_actor):
    with pytest.raises(RuntimeError), transaction.atomic():
        privacy.purpose_create(actor=system_actor, slug="events", name_fi="Tapahtumat", name_en="Events")
        assert draft_get() is not None
        raise RuntimeError("the caller's transaction fails after the change")
    assert draft_get() is None and not Purpose.objects.filter(slug="events").exists()


def test_before_anything_is_published_a_change_still_makes_a_draft(system_actor):
    privacy.purpose_create(actor=system_actor, slug="events", name_fi="Tapahtumat", name_en="Events")
    draft = draft_get()
    assert draft is not None and "Tapahtumat" in draft.text_fi and "Events" in draft.text_en


def test_an_edit_in_the_optional_admin_refreshes_the_draft_too(published, cast):
    from django.contrib.admin import site
    from django.test import RequestFactory

    from rekisteri.privacy.admin import PurposeAdmin

    request = RequestFactory().post("/admin/")
    request.user = cast.privacy_officer
    purpose = Purpose.objects.get(slug="training")
    purpose.name_en = "Courses and certificates"
    PurposeAdmin(Purpose, site).save_model(request, purpose, None, True)
    draft = draft_get()
    assert draft is not None and draft.reasons == ["purpose"]
    assert "Courses and certificates" in draft.text_en


def test_a_purpose_switched_off_through_its_service_takes_no_new_basis(person, system_actor):
    from rekisteri.privacy.services import basis_set

    purpose = Purpose.objects.get(slug="customer_relationship")
    privacy.purpose_update(actor=system_actor, purpose=purpose, active=False)
    with pytest.raises(ValidationError) as refused:
        basis_set(actor=system_actor, person=person, purpose="customer_relationship", basis="contract")
    assert codes(refused.value) == {"purpose": ["purpose.inactive"]}


def test_a_recipient_linked_to_a_disclosure_is_not_deleted(person, system_actor):
    from rekisteri.privacy.disclosure import disclosure_record

    recipient = privacy.recipient_create(
        actor=system_actor,
        kind="processor",
        name="Arkistointi Oy",
        service_fi="Arkistointipalvelu",
        service_en="Archiving service",
    )
    disclosure = disclosure_record(
        actor=system_actor, person=person, categories=["name"], recipient=recipient
    )
    # The row names the register's entry even when the text differs (a later rename).
    type(disclosure).objects.filter(pk=disclosure.pk).update(recipient_name="Arkistointi Oy (vanha nimi)")
    with pytest.raises(ValidationError):
        privacy.recipient_delete(actor=system_actor, recipient=recipient)
    assert Recipient.objects.filter(pk=recipient.pk).exists()
