import pytest
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_login_page_is_in_finnish_by_default(client):
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert "Kirjaudu sisään" in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("web:dashboard"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_staff_log_in_with_username_and_password_and_land_on_the_dashboard(client, cast):
    response = client.post(reverse("accounts:login"), {"username": "sanna.sales", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("web:dashboard")
    assert client.get(reverse("web:dashboard")).status_code == 200


def test_a_wrong_password_shows_an_error_and_logs_nobody_in(client, cast):
    response = client.post(reverse("accounts:login"), {"username": "sanna.sales", "password": "wrong"})

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_log_out_is_a_post_that_ends_the_session(login, cast):
    client = login(cast.sales)

    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("web:dashboard")).status_code == 302


def test_every_page_offers_log_out_as_a_form_post(login, cast):
    body = login(cast.sales).get(reverse("web:dashboard")).content.decode()

    assert f'action="{reverse("accounts:logout")}" method="post"' in body
