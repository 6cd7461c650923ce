"""Section 11: staff without a signed NDA see no personal data on any page."""

import pytest
from django.urls import reverse

from conftest import persons_named
from rekisteri.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

WITHOUT_ACCESS = ["sales_no_nda", "nda_in_future", "outsider", "superuser_no_nda"]


def _pages(person):
    return [
        reverse("web:dashboard"),
        reverse("web:search") + "?q=Virtanen",
        reverse("web:person_card", args=[person.pk]),
        reverse("web:person_edit", args=[person.pk]),
        reverse("web:interaction_new", args=[person.pk]),
        reverse("web:organization_detail", args=[person.organization_id]),
        reverse("web:organizations"),
        reverse("web:audit") + f"?person={person.pk}",
    ]


@pytest.mark.parametrize("member", WITHOUT_ACCESS)
def test_staff_without_a_valid_nda_get_the_no_access_page_without_personal_data(login, cast, person, member):
    client = login(getattr(cast, member))
    before = AuditEvent.objects.count()

    for url in _pages(person):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 403, url
        assert "Virtanen" not in body, url
        assert "anna.virtanen@testi.fi" not in body, url
        assert "Tampereen Testi Oy" not in body, url
        assert "accounts/no_access.html" in [t.name for t in response.templates]

    assert AuditEvent.objects.count() == before


def test_staff_without_an_nda_cannot_write_either(login, cast, person):
    client = login(cast.sales_no_nda)

    response = client.post(reverse("web:person_new"), {"first_name": "Eve", "last_name": "Sneaky"})

    assert response.status_code == 403
    assert not persons_named("Sneaky")


def test_the_no_access_page_tells_the_reason(login, cast):
    body = login(cast.sales_no_nda).get(reverse("web:dashboard")).content.decode()

    assert "salassapitosopimusta" in body
