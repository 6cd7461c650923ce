"""The root conftest makes every transactional test restore the serialized database."""

import pytest
from django.contrib.auth.models import Group


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_restores_the_roles_without_asking(request):
    marker = request.node.get_closest_marker("django_db")
    assert marker.kwargs["transaction"] is True
    assert marker.kwargs["serialized_rollback"] is True
    assert marker.kwargs["databases"] == "__all__"
    # The roles of the data migrations are there, under the ids the other tests know.
    assert Group.objects.filter(name="role:privacy_officer").exists()


def test_a_live_server_test_is_transactional_and_restores_too(request, transactional_db):
    marker = request.node.get_closest_marker("django_db")
    assert (marker.kwargs["transaction"], marker.kwargs["serialized_rollback"]) == (True, True)
