"""The privacy officer's access review: reads per staff member from the audit trail, inactive
members, missing NDAs and acknowledgements, unusual volumes, CSV, the quarterly reminder; and
the risk register."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff
from rekisteri.accounts.models import Role
from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import audit_record
from rekisteri.governance.models import AccessReview, InstructionAcknowledgement, Risk
from rekisteri.governance.selectors import access_review, access_review_due
from rekisteri.people.services import person_create

pytestmark = pytest.mark.django_db


def _persons(n):
    actor = Actor.system("test")
    return [person_create(actor=actor, first_name="Lea", last_name=f"Lukija{i}") for i in range(n)]


def _reads(user, persons, times=1):
    for _ in range(times):
        for person in persons:
            audit_record(
                actor=Actor.for_user(user, "ui"),
                action="view",
                object_type="person",
                object_ids=[person.pk],
                person_ids=[person.pk],
            )


def _by_user(reviews):
    return {review.user.pk: review for review in reviews}


def test_reads_and_persons_are_counted_per_member(cast):
    persons = _persons(3)
    _reads(cast.sales, persons, times=2)
    _reads(cast.crm, persons[:1])

    reviews = _by_user(access_review())

    assert (reviews[cast.sales.pk].reads, reviews[cast.sales.pk].persons) == (6, 3)
    assert (reviews[cast.crm.pk].reads, reviews[cast.crm.pk].persons) == (1, 1)
    assert reviews[cast.trainer.pk].reads == 0


def test_reads_far_above_the_roles_norm_are_flagged(cast):
    colleagues = [make_staff(f"myyja{i}", Role.SALES, date(2024, 1, 15)) for i in range(3)]
    persons = _persons(60)
    for colleague in colleagues:
        _reads(colleague, persons[:5])
    _reads(cast.sales, persons)

    reviews = _by_user(access_review())

    assert reviews[cast.sales.pk].unusual and "unusual" in reviews[cast.sales.pk].flags
    assert not any(reviews[c.pk].unusual for c in colleagues)


def test_inactive_members_and_missing_nda_and_acknowledgements_are_flagged(cast):
    cast.crm.last_login = timezone.now() - timedelta(days=91)
    cast.crm.save()
    cast.sales.last_login = timezone.now()
    cast.sales.save()
    InstructionAcknowledgement.objects.filter(user=cast.trainer).delete()

    reviews = _by_user(access_review())

    assert reviews[cast.crm.pk].inactive and not reviews[cast.sales.pk].inactive
    assert reviews[cast.sales_no_nda.pk].missing_nda
    assert reviews[cast.trainer.pk].missing_acknowledgement
    assert not reviews[cast.sales.pk].missing_acknowledgement


def test_the_page_lists_members_and_the_csv_exports_them(cast):
    _reads(cast.sales, _persons(2))
    client = Client()
    client.force_login(cast.privacy_officer)

    page = client.get(reverse("web:access_review")).content.decode()
    assert "sanna.sales" in page and "ei salassapitositoumusta" in page

    response = client.get(reverse("web:access_review") + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = response.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("username;name;role;reads;persons")
    assert any(row.startswith("sanna.sales;") and ";2;2;" in row for row in rows)
    assert AuditEvent.objects.filter(object_type="access_review", action="view").count() == 2


def test_a_members_page_names_the_persons_read_and_audits_the_names(cast):
    persons = _persons(2)
    _reads(cast.sales, persons)
    client = Client()
    client.force_login(cast.privacy_officer)

    page = client.get(reverse("web:access_review_member", args=[cast.sales.pk])).content.decode()

    assert "Lea Lukija0" in page and "Lea Lukija1" in page
    names_read = AuditEvent.objects.filter(
        actor_user_id=cast.privacy_officer.pk, action="view", object_type="person"
    )
    assert names_read.count() == 1


def test_the_quarterly_reminder(cast):
    assert access_review_due() == timezone.localdate()
    client = Client()
    client.force_login(cast.privacy_officer)
    assert "Katselmointi on nyt ajankohtainen" in client.get(reverse("web:access_review")).content.decode()

    client.post(reverse("web:access_review_done"), {"notes": "Kaksi tunnusta poistettu."})

    review = AccessReview.objects.get()
    assert review.reviewed_by == cast.privacy_officer
    assert access_review_due() == timezone.localdate() + timedelta(days=91)
    assert "Seuraava katselmointi viimeistään" in client.get(reverse("web:access_review")).content.decode()


def test_the_risk_register_takes_an_assessment_decision_owner_and_review_date(cast):
    client = Client()
    client.force_login(cast.privacy_officer)
    data = {
        "title": "Uusi sähköpostipalvelu",
        "description": "Viestit kulkevat palveluntarjoajan kautta.",
        "likelihood": "medium",
        "impact": "high",
        "assessment": "Osoitteet ja viestit näkyvät käsittelijälle.",
        "decision": "mitigate",
        "measures": "Käsittelysopimus, TLS.",
        "owner": cast.admin.pk,
        "review_on": "2027-03-01",
    }

    assert client.post(reverse("web:risk_new"), data).status_code == 302
    risk = Risk.objects.get()
    assert (risk.decision, risk.owner, risk.review_on) == ("mitigate", cast.admin, date(2027, 3, 1))
    assert "Uusi sähköpostipalvelu" in client.get(reverse("web:risk_list")).content.decode()

    data["decision"] = "accept"
    assert client.post(reverse("web:risk_edit", args=[risk.pk]), data).status_code == 302
    risk.refresh_from_db()
    assert risk.decision == "accept"
    change = AuditEvent.objects.get(object_type="risk", action="change")
    assert '"decision"' in change.detail


def test_a_risk_without_an_assessment_is_refused(cast):
    client = Client()
    client.force_login(cast.privacy_officer)

    response = client.post(reverse("web:risk_new"), {"title": "X", "description": "Y"})

    assert response.status_code == 200
    assert not Risk.objects.exists()


def test_the_privacy_officers_dashboard_reminds_of_a_due_review(cast):
    client = Client()
    client.force_login(cast.privacy_officer)
    assert "Katselmointi on nyt ajankohtainen" in client.get("/").content.decode()

    AccessReview.objects.create(reviewed_by=cast.privacy_officer, period_days=90)

    body = client.get("/").content.decode()
    assert "Katselmointi on nyt ajankohtainen" not in body
    assert "Seuraava katselmointi viimeistään" in body
