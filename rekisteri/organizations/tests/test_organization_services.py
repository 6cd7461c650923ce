import pytest
from django.core.exceptions import ValidationError

from rekisteri.audit.models import AuditEvent
from rekisteri.organizations.models import Organization
from rekisteri.organizations.services import organization_create, organization_delete, organization_update
from rekisteri.privacy.models import GroupCompany

pytestmark = pytest.mark.django_db


def test_invalid_y_tunnus_is_refused_and_nothing_saved(system_actor):
    with pytest.raises(ValidationError) as excinfo:
        organization_create(actor=system_actor, name="Virheellinen Oy", business_id="1234567-8")
    assert "business_id" in excinfo.value.message_dict
    assert not Organization.objects.exists()


def test_valid_y_tunnus_is_accepted_in_canonical_form(system_actor):
    organization = organization_create(actor=system_actor, name="Insta Group Oy", business_id="01540885")
    assert organization.business_id == "0154088-5"
    assert organization.owner_company == GroupCompany.objects.get(is_controller=True)


def test_a_business_id_is_unique_per_country(system_actor, organization):
    with pytest.raises(ValidationError) as excinfo:
        organization_create(actor=system_actor, name="Kopio Oy", business_id=organization.business_id)
    assert "business_id" in excinfo.value.message_dict
    foreign = organization_create(
        actor=system_actor, name="Svensk AB", business_id="556036-0793", business_id_country="se"
    )
    assert foreign.business_id_country == "SE"


def test_update_audits_changed_field_names(system_actor, organization, cast):
    organization_update(
        actor=system_actor, organization=organization, status="former", responsible_staff=[cast.sales]
    )
    event = AuditEvent.objects.filter(action="change", object_type="organization").get()
    assert '"responsible_staff"' in event.detail and '"status"' in event.detail
    assert list(organization.responsible_staff.all()) == [cast.sales]


def test_unknown_status_and_owner_are_refused(system_actor, organization):
    with pytest.raises(ValidationError) as excinfo:
        organization_update(actor=system_actor, organization=organization, status="enemy", owner_company=9999)
    assert set(excinfo.value.message_dict) == {"status", "owner_company"}


def test_deleting_an_organization_keeps_its_people(system_actor, organization, person):
    organization_delete(actor=system_actor, organization=organization)
    person.refresh_from_db()
    assert person.organization is None
