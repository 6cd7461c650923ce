import pytest

from conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_mounted(settings):
    settings.ROOT_URLCONF = "rekisteri.accounts.tests.admin_urls"


def test_a_superuser_without_an_nda_is_refused_by_the_admin(client, cast, admin_mounted):
    client.force_login(cast.superuser_no_nda)
    response = client.get("/admin/")
    assert response.status_code == 403


def test_a_superuser_with_a_role_and_nda_reaches_the_admin(client, admin_mounted):
    from datetime import date

    user = make_staff("root.admin", "admin", date(2024, 1, 1), is_superuser=True, is_staff=True)
    client.force_login(user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/privacy/groupcompany/").status_code == 200


def test_personal_data_is_not_editable_in_the_admin(client, admin_mounted):
    from datetime import date

    user = make_staff("root.admin2", "admin", date(2024, 1, 1), is_superuser=True, is_staff=True)
    client.force_login(user)
    assert client.get("/admin/people/person/").status_code == 404
