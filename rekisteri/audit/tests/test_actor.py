"""Who a row records as the one who acted (Actor.recorded_user)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from rekisteri.audit.actor import Actor


@pytest.mark.django_db
def test_a_saved_user_is_recorded_and_no_one_else(cast):
    assert Actor.for_user(cast.sales, "web").recorded_user == cast.sales
    # A system actor, an anonymous visitor's stand-in and a user never saved: nobody.
    assert Actor.system("task:retention").recorded_user is None
    assert Actor(user=AnonymousUser(), origin="web").recorded_user is None
    assert Actor.for_user(get_user_model()(username="unsaved"), "web").recorded_user is None
