from datetime import date

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.auth.models import Group
from django.utils import translation

from rekisteri.accounts.access import can_see_personal_data, personal_data_refusal
from rekisteri.accounts.roles import ROLE_PERMISSIONS, group_name

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_only_active_staff_with_a_signed_nda_see_personal_data(cast):
    assert all(can_see_personal_data(user) for user in cast.with_access())
    assert not any(can_see_personal_data(user) for user in cast.without_access())


def test_a_superuser_without_an_nda_is_no_back_door(cast):
    assert cast.superuser_no_nda.is_superuser
    assert "role" in personal_data_refusal(cast.superuser_no_nda)


def test_refusals_explain_themselves(cast):
    assert "confidentiality" in personal_data_refusal(cast.sales_no_nda)
    assert date(2999, 1, 1).isoformat() in personal_data_refusal(cast.nda_in_future)
    assert "not active" in personal_data_refusal(cast.inactive)


def test_each_role_group_holds_exactly_its_declared_permissions():
    for role, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=group_name(role))
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert held == set(codenames), role


def test_least_privilege_marketing_and_trainers_cannot_change_people(cast):
    assert cast.marketing.has_perm("people.view_person")
    assert not cast.marketing.has_perm("people.change_person")
    assert not cast.trainer.has_perm("people.delete_person")
    assert not cast.sales.has_perm("audit.view_auditevent")
    assert cast.privacy_officer.has_perm("audit.view_auditevent")


def test_production_hashes_passwords_with_argon2():
    from django.conf import settings as django_settings

    from rekisteri import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert django_settings.PASSWORD_HASHERS  # the test run swaps in a fast hasher
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("a long password 123", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
