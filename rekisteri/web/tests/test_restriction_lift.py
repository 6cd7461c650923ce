import pytest
from django.test import Client

from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.rights.fulfilment import restriction_apply

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_privacy_officer_lifts_a_restriction_with_reasons(cast, person):
    restriction_apply(actor=cast_actor(cast), person=person, reason="Henkilö kiistää puhelinnumeron")
    client = _client(cast.privacy_officer)
    assert "restriction/lift/" in client.get(f"/people/{person.pk}/").content.decode()
    response = client.post(f"/people/{person.pk}/restriction/lift/", {"reason": "Numero tarkistettu"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.restricted_at is None
    assert person.restriction_lift_reason == "Numero tarkistettu"
    assert any("Numero tarkistettu" in message.body for message in deliver_outbox())


def test_lifting_needs_reasons(cast, person):
    restriction_apply(actor=cast_actor(cast), person=person, reason="Kiistetty")
    response = _client(cast.privacy_officer).post(f"/people/{person.pk}/restriction/lift/", {"reason": " "})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.restricted_at is not None


def test_sales_cannot_lift_a_restriction(cast, person):
    restriction_apply(actor=cast_actor(cast), person=person, reason="Kiistetty")
    response = _client(cast.sales).post(f"/people/{person.pk}/restriction/lift/", {"reason": "Haluan"})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.restricted_at is not None


def cast_actor(cast):
    from rekisteri.audit.actor import Actor

    return Actor.for_user(cast.privacy_officer, "ui")
