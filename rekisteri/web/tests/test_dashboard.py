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


# --- Each role's tiles (section 11: each role sees what its work needs) -------------------------


def _tiles(body: str) -> set[str]:
    names = {
        "my_customers": 'id="my-organizations"',
        "people": 'id="stat-people"',
        "organizations": 'id="stat-organizations"',
        "students": 'id="stat-students"',
        "audience": 'id="stat-audience"',
        "requests": 'id="stat-requests"',
        "without_basis": 'id="stat-without-basis"',
        "audit": 'id="audit-box"',
        "mail": 'id="stat-mail"',
    }
    return {name for name, marker in names.items() if marker in body}


@pytest.mark.parametrize(
    ("role", "tiles"),
    [
        ("sales", {"my_customers", "people", "without_basis", "organizations"}),
        ("crm", {"my_customers", "people", "without_basis", "organizations"}),
        ("marketing", {"audience", "organizations"}),
        ("trainer", {"students"}),
        ("privacy_officer", {"requests", "without_basis", "mail", "audit"}),
        ("admin", {"people", "organizations"}),
    ],
)
def test_each_role_gets_the_tiles_its_work_needs_and_no_others(login, cast, role, tiles):
    body = login(getattr(cast, role)).get(reverse("web:dashboard")).content.decode()

    assert _tiles(body) == tiles


def test_sales_sees_own_customers_with_a_link_to_all_of_them(login, cast, system_actor):
    from rekisteri.organizations.services import organization_create

    for n in range(12):
        organization = organization_create(actor=system_actor, name=f"Oma Asiakas {n:02d} Oy")
        organization.responsible_staff.add(cast.sales)
    organization_create(actor=system_actor, name="Vieras Oy")

    body = login(cast.sales).get(reverse("web:dashboard")).content.decode()

    assert "Omat asiakkaat" in body
    assert body.count("Oma Asiakas") == 10
    assert "Vieras Oy" not in body
    assert '<span class="badge">12</span>' in body
    assert f'href="{reverse("web:organizations")}?mine=1"' in body
    assert "Näytä kaikki" in body


def test_the_privacy_officer_sees_open_due_and_overdue_requests_and_persons_without_basis(
    login, cast, system_actor, person
):
    from datetime import timedelta

    from django.utils import timezone

    from rekisteri.rights.services import request_create, request_withdraw

    today = timezone.localdate()

    def received(days_ago: int):
        return request_create(
            actor=system_actor,
            type="access",
            channel="letter",
            name="Venla Virtanen",
            received_on=today - timedelta(days=days_ago),
        )

    received(40)  # overdue
    received(27)  # due within 7 days
    received(0)  # open, due in a month
    request_withdraw(actor=system_actor, request=received(35))  # closed: counted nowhere

    body = login(cast.privacy_officer).get(reverse("web:dashboard")).content.decode()

    requests = reverse("rights:request_list")
    assert f'<a href="{requests}">Avoimet</a> <span class="stat-figure">3</span>' in body
    assert (
        f'<a href="{requests}?due=soon">Erääntyy 7 päivän kuluessa</a> <span class="stat-figure">1</span>'
        in body
    )
    assert f'<a href="{requests}?due=overdue">Myöhässä</a> <span class="stat-figure">1</span>' in body
    # The person fixture has no basis recorded.
    tile = body.split('id="stat-without-basis"')[1]
    assert "Käsittelyperuste tai tietolähde puuttuu" in tile
    assert '<p class="stat-number">1</p>' in tile


def test_the_trainers_dashboard_lists_their_students_audited_for_training(login, cast, person, student):
    from rekisteri.web.tests.conftest import events

    body = login(cast.trainer).get(reverse("web:dashboard")).content.decode()

    assert "Kurssila, Oona" in body
    assert "Virtanen" not in body
    [event] = events(action="list", object_type="person")
    assert event.purpose == "training"
    assert event.actor_user_id == cast.trainer.pk


def test_marketing_sees_how_many_direct_marketing_may_reach_by_basis(
    login, cast, person, student, system_actor
):
    from rekisteri.privacy.services import basis_set

    basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
    basis_set(
        actor=system_actor,
        person=student,
        purpose="direct_marketing",
        basis="legitimate_interest",
        interest_ground="employer_relationship",
    )

    body = login(cast.marketing).get(reverse("web:dashboard")).content.decode()

    assert '<p class="stat-number">2</p>' in body
    assert 'Suostumuksella (opt-in)</span> <span class="stat-figure">1</span>' in body
    assert (
        'Oikeutetun edun perusteella (opt-out, työtehtävät)</span> <span class="stat-figure">1</span>' in body
    )
    assert "Virtanen" not in body


def test_dashboard_counts_stop_at_the_bound():
    from rekisteri.web.views.common import bounded_label

    assert bounded_label(10_000) == "10000"
    assert bounded_label(10_001) == "10000+"
    assert bounded_label(3, bound=2) == "2+"


def test_the_organization_list_shows_only_my_customers_when_asked(login, cast, organization, system_actor):
    from rekisteri.organizations.services import organization_create

    organization.responsible_staff.add(cast.sales)
    organization_create(actor=system_actor, name="Vieras Oy")
    client = login(cast.sales)

    mine = client.get(reverse("web:organizations"), {"mine": "1"}).content.decode()
    everything = client.get(reverse("web:organizations")).content.decode()

    assert "Tampereen Testi Oy" in mine and "Vieras Oy" not in mine
    assert "Tampereen Testi Oy" in everything and "Vieras Oy" in everything
    assert 'name="mine" value="1"' in mine


def test_the_privacy_officer_sees_mail_that_failed_or_waits(login, cast, settings):
    from rekisteri.outbox.models import MailState, OutgoingMail
    from rekisteri.outbox.services import mail_enqueue

    for address in ("a@testi.fi", "b@testi.fi", "c@testi.fi"):
        mail_enqueue(to=address, subject="x", text="y", kind="refused")
    OutgoingMail.objects.filter(pk=OutgoingMail.objects.first().pk).update(
        state=MailState.FAILED, failed_at=OutgoingMail.objects.first().created_at
    )

    body = login(cast.privacy_officer).get(reverse("web:dashboard")).content.decode()

    assert 'href="/mail/?state=failed">Toimitus epäonnistui</a> <span class="stat-figure">1</span>' in body
    assert 'href="/mail/?state=queued">Odottaa lähetystä</a> <span class="stat-figure">2</span>' in body
    assert "a@testi.fi" not in body
