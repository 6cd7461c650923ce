"""What each role sees of the persons it may reach (notice sections 2 and 11).

test_permission_matrix.py checks which pages and endpoints a role may open at all; this file
checks, through those pages and endpoints, which persons a role finds and which parts of a
person it is sent. The tables below are the policy written out by hand, independently of
people/visibility.py, so that a change to either shows up here.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.accounts.services import token_create
from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.contacts.services import interaction_create, tracking_event_record
from rekisteri.people.services import person_create
from rekisteri.privacy.services import basis_set, source_add

pytestmark = pytest.mark.django_db

ROLES = ("sales", "crm", "marketing", "trainer", "privacy_officer", "admin")

# Which persons each role reaches. A customer representative without a marketing basis, a
# student, and a prospect who consented to the newsletter.
EVERYONE = {"customer", "student", "subscriber"}
REACHES = {
    "sales": EVERYONE,
    "crm": EVERYONE,
    "marketing": {"subscriber"},
    "trainer": {"student"},
    "privacy_officer": EVERYONE,
    "admin": EVERYONE,
}

# The purpose (section 2) each role's reads are audited under.
PURPOSE = {
    "sales": "customer_relationship",
    "crm": "customer_relationship",
    "marketing": "direct_marketing",
    "trainer": "training",
    "privacy_officer": "rights_and_obligations",
    "admin": "customer_relationship",
}

# What of a person each role is sent: Y present, - absent (on the card and in the API).
Y, N = True, False
#                          sales  crm  marketing trainer privacy admin
FIELDS = {
    "contact":            (Y,     Y,   Y,        Y,      Y,      Y),
    "organization":       (Y,     Y,   Y,        Y,      Y,      Y),
    "categories":         (Y,     Y,   Y,        Y,      Y,      Y),
    "self_given":         (Y,     Y,   N,        N,      Y,      Y),
    "bases":              (Y,     Y,   Y,        N,      Y,      Y),
    "sources":            (Y,     Y,   N,        N,      Y,      Y),
    "tracking":           (N,     Y,   Y,        N,      Y,      Y),
    # Contact history: a meeting on pricing (sales history) and course feedback.
    "sales_history_kind": (Y,     Y,   Y,        N,      Y,      Y),
    "sales_history_text": (Y,     Y,   N,        N,      Y,      Y),
    "feedback_kind":      (Y,     Y,   Y,        Y,      Y,      Y),
    "feedback_text":      (Y,     Y,   N,        Y,      Y,      Y),
}  # fmt: skip

# The values that give each group away in a page or a JSON answer.
MARKERS = {
    "contact": "jaana.jokinen@testi.fi",
    "organization": "Koulutuspäällikkö",
    "categories": "Opiskelija",
    "self_given": "Toivoo kasvisruokaa",
    "bases": "Tilasi uutiskirjeen messuilla",
    "sources": "Messulomake 2025",
    "tracking": "kevatkampanja-2025",
    "sales_history_text": "Hintaneuvottelu 12 000",
    "feedback_text": "Erinomainen kurssi",
}
# The API's names of each group's fields, and the card context's.
API_FIELDS = {
    "contact": ["email", "phone"],
    "organization": ["organization_id", "title"],
    "categories": ["categories"],
    "self_given": ["self_given_info"],
    "bases": ["bases"],
    "sources": ["sources"],
    "tracking": ["tracking"],
}
CARD_ATTRIBUTES = {
    "contact": ["email", "phone"],
    "organization": ["organization", "title"],
    "categories": ["categories"],
    "self_given": ["self_given_info"],
    "bases": ["bases"],
    "sources": ["sources"],
    "tracking": ["tracking"],
}


def _sees(role: str, group: str) -> bool:
    return FIELDS[group][ROLES.index(role)]


@pytest.fixture
def persons(organization) -> dict:
    actor = Actor.system("test", origin="cli")
    customer = person_create(
        actor=actor,
        first_name="Kaisa",
        last_name="Kauppinen",
        email="kaisa.kauppinen@testi.fi",
        organization=organization,
        categories=["customer_representative"],
    )
    basis_set(actor=actor, person=customer, purpose="customer_relationship", basis="contract")
    student = person_create(
        actor=actor,
        first_name="Sami",
        last_name="Saarinen",
        organization=organization,
        categories=["student"],
    )
    basis_set(actor=actor, person=student, purpose="training", basis="contract")
    subscriber = person_create(
        actor=actor,
        first_name="Mirja",
        last_name="Mäntylä",
        organization=organization,
        categories=["prospect_contact"],
    )
    basis_set(actor=actor, person=subscriber, purpose="direct_marketing", basis="consent")
    for person in (customer, student, subscriber):
        interaction_create(actor=actor, person=person, kind="event", text="Osallistui seminaariin")
    return {"customer": customer, "student": student, "subscriber": subscriber}


@pytest.fixture
def shared(organization):
    """A student who also consented to direct marketing: every role reaches her."""
    actor = Actor.system("test", origin="cli")
    person = person_create(
        actor=actor,
        first_name="Jaana",
        last_name="Jokinen",
        email="jaana.jokinen@testi.fi",
        phone="040 555 0101",
        organization=organization,
        title="Koulutuspäällikkö",
        self_given_info="Toivoo kasvisruokaa.",
        categories=["student"],
    )
    basis_set(
        actor=actor,
        person=person,
        purpose="direct_marketing",
        basis="consent",
        justification="Tilasi uutiskirjeen messuilla.",
    )
    source_add(actor=actor, person=person, kind="data_subject", detail="Messulomake 2025")
    now = timezone.now()
    interaction_create(
        actor=actor,
        person=person,
        kind="meeting",
        text="Hintaneuvottelu 12 000 € vuosisopimuksesta.",
        occurred_at=now - timezone.timedelta(days=2),
    )
    interaction_create(
        actor=actor,
        person=person,
        kind="feedback",
        text="Erinomainen kurssi.",
        occurred_at=now - timezone.timedelta(days=1),
    )
    # Individual newsletter tracking needs the person's consent (section 9).
    from rekisteri.marketing.services.consents import consent_give

    consent_give(actor=actor, person=person, topic="tracking", channel="web_form")
    tracking_event_record(actor=actor, person=person, kind="newsletter_click", reference="kevatkampanja-2025")
    return person


def _ui(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _api(user) -> Client:
    raw = token_create(actor=Actor.system("test", origin="cli"), user=user)[1]
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_persons_through_every_door(cast, organization, persons, role):
    user = getattr(cast, role)
    ui, api = _ui(user), _api(user)
    for name, person in persons.items():
        visible = name in REACHES[role]
        where = f"{role} / {name}"
        expected = 200 if visible else 404

        assert ui.get(f"/people/{person.pk}/").status_code == expected, f"card: {where}"
        assert api.get(f"/api/v1/persons/{person.pk}").status_code == expected, f"API read: {where}"
        response = api.get(f"/api/v1/persons/{person.pk}/interactions")
        assert response.status_code == expected, f"interactions: {where}"

        page = ui.get("/search/", {"q": person.last_name}).content.decode()
        assert (f"/people/{person.pk}/" in page) is visible, f"search page: {where}"
        found = [item["id"] for item in api.get("/api/v1/persons", {"q": person.last_name}).json()["items"]]
        assert (str(person.pk) in found) is visible, f"API search: {where}"

    listed = {
        item["id"]
        for item in api.get("/api/v1/persons", {"organization_id": organization.pk}).json()["items"]
    }
    assert listed == {str(persons[name].pk) for name in REACHES[role]}, f"API list: {role}"
    page = ui.get(f"/organizations/{organization.pk}/").content.decode()
    for name, person in persons.items():
        assert (f"/people/{person.pk}/" in page) is (name in REACHES[role]), (
            f"organization page: {role}/{name}"
        )


@pytest.mark.parametrize("role", ROLES)
def test_each_read_is_audited_under_the_roles_purpose(cast, shared, role):
    user = getattr(cast, role)
    _ui(user).get(f"/people/{shared.pk}/")
    _ui(user).get("/search/", {"q": "Jokinen"})
    api = _api(user)
    api.get(f"/api/v1/persons/{shared.pk}")
    api.get("/api/v1/persons", {"q": "Jokinen"})
    api.get(f"/api/v1/persons/{shared.pk}/interactions")

    reads = AuditEvent.objects.filter(actor_user_id=user.pk, action__in=["view", "search", "list"])
    seen = {(event.origin, event.action, event.object_type, event.purpose) for event in reads}
    purpose = PURPOSE[role]
    assert seen >= {
        ("ui", "view", "person", purpose),
        ("ui", "search", "person", purpose),
        ("api", "view", "person", purpose),
        ("api", "search", "person", purpose),
        ("api", "list", "interaction", purpose),
    }, role
    assert {event.purpose for event in reads} == {purpose}
    for event in reads.filter(object_type__in=["person", "interaction"]):
        assert json.loads(event.person_ids) == [str(shared.pk)]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_sent_only_its_field_groups(cast, shared, role):
    user = getattr(cast, role)
    response = _ui(user).get(f"/people/{shared.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    card = response.context["person"]
    api = _api(user)
    detail = api.get(f"/api/v1/persons/{shared.pk}").json()
    listed = api.get("/api/v1/persons", {"q": "Jokinen"}).json()["items"][0]
    history = api.get(f"/api/v1/persons/{shared.pk}/interactions").json()["items"]
    api_json = json.dumps(detail, ensure_ascii=False) + json.dumps(history, ensure_ascii=False)

    for group, marker in MARKERS.items():
        assert (marker in html) is _sees(role, group), f"{role}: {group} on the card"
        if group != "categories":  # the API sends the code ("student"): checked below
            assert (marker in api_json) is _sees(role, group), f"{role}: {group} in the API"
    for group, names in API_FIELDS.items():
        for name in names:
            assert (detail[name] is not None) is _sees(role, group), f"{role}: {name} in GET /persons/id"
            assert (name in detail["withheld"]) is not _sees(role, group), f"{role}: withheld {name}"
            if name in listed:
                assert (listed[name] is not None) is _sees(role, group), f"{role}: {name} in GET /persons"
    for group, attributes in CARD_ATTRIBUTES.items():
        for attribute in attributes:
            # Not merely unrendered: a hidden value is not in the template's context at all.
            assert (getattr(card, attribute) is not None) is _sees(role, group), f"{role}: card.{attribute}"
    assert (detail["categories"] == ["student"]) is _sees(role, "categories")
    kinds = {item["kind"] for item in history}
    assert ("meeting" in kinds) is _sees(role, "sales_history_kind"), f"{role}: meeting kind"
    assert ("feedback" in kinds) is _sees(role, "feedback_kind"), f"{role}: feedback kind"
    assert ("Neuvottelu" in html or "Tapaaminen" in html) is _sees(role, "sales_history_kind"), role
