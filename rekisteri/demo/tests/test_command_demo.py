import io
import re
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from stdnum.fi import ytunnus

from rekisteri.accounts.access import can_see_personal_data
from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import audit_verify
from rekisteri.contacts.models import Interaction
from rekisteri.demo.data import DEMO_PASSWORD, DEMO_STAFF, demo_load
from rekisteri.demo.data import ytunnus as demo_ytunnus
from rekisteri.organizations.models import Organization
from rekisteri.people.models import Person
from rekisteri.people.selectors import person_search
from rekisteri.privacy.models import GroupCompany, ProcessingBasis

pytestmark = pytest.mark.django_db


def _demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "persons": Person.objects.count(),
        "interactions": Interaction.objects.count(),
        "bases": ProcessingBasis.objects.count(),
        "users": get_user_model().objects.count(),
        "events": AuditEvent.objects.count(),
    }


@pytest.mark.slow
def test_it_loads_realistic_finnish_data_through_the_audited_services():
    output = _demo()

    organizations = list(Organization.objects.all())
    assert len(organizations) == 50
    assert all(ytunnus.is_valid(org.business_id) for org in organizations)
    assert {org.owner_company for org in organizations} <= set(GroupCompany.objects.all())
    assert len({org.city for org in organizations}) >= 8

    persons = Person.objects.annotate(
        n_interactions=Count("interactions", distinct=True),
        n_bases=Count("bases", distinct=True),
        n_sources=Count("sources", distinct=True),
    )
    assert persons.count() == 300
    for person in persons:
        assert 1 <= person.n_interactions <= 5
        assert person.n_bases >= 1
        assert 1 <= person.n_sources <= 2
        assert re.fullmatch(r"[a-z-]+\.[a-z-]+@[a-z]+\.example", person.email), person.email
        assert person.phone == "" or re.fullmatch(r"\+3584\d{8}|\+35850\d{7}", person.phone), person.phone
        assert person.organization_id is not None and person.title
    assert len({p.email for p in persons}) == 300
    assert ProcessingBasis.objects.filter(basis="consent", purpose__slug="direct_marketing").exists()
    assert ProcessingBasis.objects.filter(interest_ground="prospect_interest").exists()
    assert ProcessingBasis.objects.filter(interest_ground="employer_relationship").exists()

    users = {user.username: user for user in get_user_model().objects.select_related("staff_profile")}
    assert {s.username for s in DEMO_STAFF} == set(users)
    assert {users[s.username].staff_profile.role for s in DEMO_STAFF} >= {
        "sales",
        "crm",
        "marketing",
        "trainer",
        "privacy_officer",
        "admin",
    }
    assert not can_see_personal_data(users["ilman-nda"])
    assert all(can_see_personal_data(users[s.username]) for s in DEMO_STAFF if s.nda_signed_on)
    assert users["myynti"].check_password(DEMO_PASSWORD)

    events = AuditEvent.objects.all()
    assert set(events.values_list("actor_label", flat=True)) == {"cli:demo"}
    assert Counter(events.values_list("object_type", flat=True))["person"] == 300
    assert audit_verify().ok
    assert "Loaded 50 organizations, 300 persons" in output and DEMO_PASSWORD in output
    assert all(s.username in output for s in DEMO_STAFF)

    # Finding people: the index entries the demo writes serve two-letter, phone-prefix and
    # e-mail-domain search.
    actor = Actor.system("test", origin="cli")

    def found(query: str) -> set:
        return {p.pk for p in person_search(actor=actor, query=query, limit=200).results}

    virtanens = {p.pk for p in persons if p.last_name == "Virtanen"}
    assert len(virtanens) >= 2 and found("Vi") >= virtanens
    someone = next(p for p in persons if p.phone)
    assert someone.pk in found("0" + someone.phone[4:9])  # "040 772"
    domain = someone.email.rpartition("@")[2]
    assert found("@" + domain) == {p.pk for p in persons if p.email.endswith("@" + domain)}


def test_a_second_run_changes_nothing_and_writes_no_audit_events():
    _demo("--organizations", "4", "--persons", "15")
    before = _counts()
    output = _demo("--organizations", "4", "--persons", "15")
    assert "already loaded; nothing changed" in output
    assert _counts() == before


def _load_and_roll_back():
    with transaction.atomic():
        demo_load(actor=Actor.system("cli:demo", origin="cli"), organizations=3, persons=10)
        # Attribute access, not values_list: the fields may be stored encrypted.
        snapshot = (
            list(Organization.objects.order_by("pk").values_list("name", "business_id", "city")),
            sorted((p.first_name, p.last_name, p.email, p.phone, p.title) for p in Person.objects.all()),
        )
        transaction.set_rollback(True)
    return snapshot


def test_the_same_seed_gives_the_same_data():
    first = _load_and_roll_back()
    second = _load_and_roll_back()
    assert first == second and len(first[1]) == 10
    assert not Person.objects.exists()


def test_it_refuses_a_register_that_holds_other_data(person):
    before = _counts()
    output = _demo()
    assert "not demo data" in output and "nothing changed" in output
    assert _counts() == before


def test_it_refuses_when_a_demo_username_is_taken_by_someone_else(cast):
    get_user_model().objects.create_user(username="myynti", password="x" * 20)
    with pytest.raises(CommandError, match="demo usernames"):
        _demo()
    assert not Organization.objects.exists()


def test_it_refuses_production_settings(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        _demo()
    assert not Organization.objects.exists()


def test_the_ytunnus_check_digit_matches_the_published_examples():
    assert demo_ytunnus("0154088") == "0154088-5"
    assert demo_ytunnus("2077474") == "2077474-0"
    assert demo_ytunnus("0245974") == "0245974-7"
