import pytest
from django.urls import reverse

from rekisteri.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_every_role_with_access_sees_the_dashboard(login, cast):
    for member in cast.with_access():
        response = login(member).get(reverse("web:dashboard"))
        assert response.status_code == 200, member.username


def test_the_dashboard_lists_customers_the_user_is_responsible_for(login, cast, organization):
    organization.responsible_staff.add(cast.sales)

    body = login(cast.sales).get(reverse("web:dashboard")).content.decode()

    assert "Tampereen Testi Oy" in body


def test_the_dashboard_shows_no_personal_data_and_writes_no_audit_event(login, cast, person):
    before = AuditEvent.objects.count()

    body = login(cast.sales).get(reverse("web:dashboard")).content.decode()

    assert "Virtanen" not in body
    assert AuditEvent.objects.count() == before


def test_navigation_shows_only_what_the_role_may_do(login, cast):
    marketing = login(cast.marketing).get(reverse("web:dashboard")).content.decode()
    privacy = login(cast.privacy_officer).get(reverse("web:dashboard")).content.decode()

    assert reverse("web:person_new") not in marketing
    assert reverse("web:audit") not in marketing
    assert reverse("web:audit") in privacy


def test_pages_carry_no_inline_script_or_style(login, cast, person):
    client = login(cast.sales)
    for url in [
        reverse("web:dashboard"),
        reverse("web:person_card", args=[person.pk]),
        reverse("web:person_new"),
    ]:
        body = client.get(url).content.decode()
        assert "style=" not in body
        assert "onclick" not in body
        assert "<script>" not in body
        assert "<style" not in body
