"""API requests load the user's permissions in one statement (permissions_preload): the same
set Django's ModelBackend loads in two queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_a_users_permissions_preloaded_are_those_django_loads(cast):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from rekisteri.accounts.services import permissions_preload

    User = get_user_model()
    extra = Permission.objects.get(codename="export_person")
    cast.crm.user_permissions.add(extra)  # a permission of the user's own, beside the role's
    for member in (cast.sales, cast.crm, cast.trainer, cast.privacy_officer, cast.outsider, cast.inactive):
        django_loaded = User.objects.get(pk=member.pk)
        preloaded = User.objects.get(pk=member.pk)
        permissions_preload(preloaded)
        with CaptureQueriesContext(connection) as queries:
            assert preloaded.get_all_permissions() == django_loaded.get_all_permissions(), member.username
            assert preloaded.has_perm("people.view_person") == django_loaded.has_perm("people.view_person")
        # The preloaded user asked nothing; Django's own loaded its two queries (none for
        # an inactive user, who holds no permission).
        assert len(queries) == (0 if not member.is_active else 2), member.username
    assert "people.export_person" in User.objects.get(pk=cast.crm.pk).get_all_permissions()
