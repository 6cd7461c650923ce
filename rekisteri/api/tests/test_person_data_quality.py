"""/api/v1/persons: duplicates answer 409, Idempotency-Key replays, merges and merged ids."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from rekisteri.accounts.models import IdempotencyKey
from rekisteri.audit.models import AuditEvent
from rekisteri.contacts.models import Interaction
from rekisteri.people.models import Person
from rekisteri.people.services import person_create

pytestmark = pytest.mark.django_db

NEW = {"first_name": "Anni", "last_name": "Virta", "email": "ANNA.virtanen@testi.fi"}


def _error(response, status: int, code: str) -> dict:
    """The API's error shape, with the fields this code adds."""
    assert response.status_code == status, (response.status_code, response.content[:400])
    body = response.json()
    assert {"detail", "errors", "code"} <= set(body)
    assert body["code"] == code
    return body


def _post_with_key(api, key: str, body: dict):
    return api.client.post(
        "/api/v1/persons",
        json.dumps(body),
        content_type="application/json",
        headers={**api.headers, "Idempotency-Key": key},
    )


# --- Duplicates -----------------------------------------------------------------------------


def test_a_person_with_an_existing_email_answers_409_with_the_existing_id(api_as, cast, person):
    response = api_as(cast.sales).post("/persons", NEW)

    body = _error(response, 409, "duplicate")
    assert body["existing_ids"] == [str(person.pk)]
    assert [error["field"] for error in body["errors"]] == ["email"]
    assert Person.objects.count() == 1


def test_telling_who_has_the_address_is_audited(api_as, cast, person):
    api_as(cast.sales).post("/persons", NEW)

    event = AuditEvent.objects.get(action="list", origin="api")
    assert json.loads(event.person_ids) == [str(person.pk)]
    assert json.loads(event.detail)["reason"] == "duplicate_warning"


def test_allow_duplicate_creates_the_second_person(api_as, cast, person):
    response = api_as(cast.sales).post("/persons", {**NEW, "allow_duplicate": True})

    assert response.status_code == 201
    assert response.json()["id"] != str(person.pk)
    assert "allow_duplicate" not in response.json()


def test_a_patch_to_another_persons_phone_answers_409_unless_allowed(api_as, cast, person, system_actor):
    other = person_create(actor=system_actor, first_name="Olli", last_name="Ojala")
    api = api_as(cast.sales)

    body = _error(api.patch(f"/persons/{other.pk}", {"phone": "+358 40 123 4567"}), 409, "duplicate")
    assert body["existing_ids"] == [str(person.pk)]

    response = api.patch(f"/persons/{other.pk}", {"phone": "+358 40 123 4567", "allow_duplicate": True})
    assert response.status_code == 200
    assert response.json()["phone"] == "+358401234567"


def test_allow_duplicate_cannot_be_null_in_a_patch(api_as, cast, person):
    response = api_as(cast.sales).patch(f"/persons/{person.pk}", {"allow_duplicate": None})

    assert response.status_code == 422


# --- Idempotency-Key ------------------------------------------------------------------------


def test_a_repeated_request_with_the_same_key_answers_with_the_first_person(api_as, cast):
    api = api_as(cast.sales)
    body = {"first_name": "Kalle", "last_name": "Kaksoispyyntö"}

    first = _post_with_key(api, "a2c4e6-retry-1", body)
    second = _post_with_key(api, "a2c4e6-retry-1", body)

    assert first.status_code == second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Person.objects.count() == 1
    assert AuditEvent.objects.filter(action="create", object_type="person").count() == 1


def test_a_key_reused_for_another_body_is_refused(api_as, cast):
    api = api_as(cast.sales)
    _post_with_key(api, "same-key", {"first_name": "Kalle", "last_name": "Yksi"})

    response = _post_with_key(api, "same-key", {"first_name": "Kalle", "last_name": "Kaksi"})

    _error(response, 422, "idempotency_key_reused")
    assert Person.objects.count() == 1


def test_a_key_is_the_users_own(api_as, cast):
    body = {"first_name": "Kalle", "last_name": "Kaksoispyyntö"}

    _post_with_key(api_as(cast.sales), "shared-key", body)
    _post_with_key(api_as(cast.crm), "shared-key", body)

    assert Person.objects.count() == 2


def test_a_key_expires_after_a_day(api_as, cast):
    api = api_as(cast.sales)
    body = {"first_name": "Kalle", "last_name": "Kaksoispyyntö"}
    _post_with_key(api, "old-key", body)
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

    response = _post_with_key(api, "old-key", body)

    assert response.status_code == 201
    assert Person.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_a_refused_request_does_not_use_up_its_key(api_as, cast, person):
    api = api_as(cast.sales)

    _error(_post_with_key(api, "first-try", NEW), 409, "duplicate")
    response = _post_with_key(api, "first-try", {**NEW, "allow_duplicate": True})

    assert response.status_code == 201


def test_an_overlong_key_is_refused(api_as, cast):
    response = _post_with_key(api_as(cast.sales), "k" * 256, {"first_name": "A", "last_name": "B"})

    assert response.status_code == 422
    assert Person.objects.count() == 0


# --- Merging --------------------------------------------------------------------------------


@pytest.fixture
def twin(system_actor):
    return person_create(actor=system_actor, first_name="Anna", last_name="Virtanen", email="anna@uusi.fi")


def test_a_merge_answers_with_the_survivor(api_as, cast, person, twin, system_actor):
    from rekisteri.contacts.services import interaction_create

    interaction_create(actor=system_actor, person=twin, kind="call", text="Soitto")

    response = api_as(cast.crm).post(
        f"/persons/{person.pk}/merge",
        {"merged_id": str(twin.pk), "reason": "duplicate_entry", "fields_from_merged": ["email"]},
    )

    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(person.pk)
    assert response.json()["email"] == "anna@uusi.fi"
    assert Interaction.objects.get().person_id == person.pk
    event = AuditEvent.objects.get(action="merge")
    assert event.origin == "api" and event.actor_user_id == cast.crm.pk


def test_the_merged_id_answers_410_with_the_survivor_for_reads_and_writes(api_as, cast, person, twin):
    api = api_as(cast.privacy_officer)
    api.post(f"/persons/{person.pk}/merge", {"merged_id": str(twin.pk), "reason": "duplicate_entry"})

    for response in (
        api.get(f"/persons/{twin.pk}"),
        api.patch(f"/persons/{twin.pk}", {"title": "Johtaja"}),
        api.delete(f"/persons/{twin.pk}"),
        api.get(f"/persons/{twin.pk}/interactions"),
    ):
        body = _error(response, 410, "merged")
        assert body["survivor_id"] == str(person.pk)
    person.refresh_from_db()
    assert person.title == "Hankintapäällikkö"  # the PATCH to the old id changed nothing
    assert Person.objects.filter(pk=person.pk).exists()


def test_an_unknown_id_is_still_404(api_as, cast):
    _error(api_as(cast.sales).get("/persons/01890000-0000-7000-8000-000000000000"), 404, "not_found")


# validation_error: the document rules the body out; rule_violation: the register does.
@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        (
            {"merged_id": "01890000-0000-7000-8000-000000000000", "reason": "duplicate_entry"},
            "merged_id",
            "rule_violation",
        ),
        ({"merged_id": "{person}", "reason": "duplicate_entry"}, "merged_id", "rule_violation"),
        ({"merged_id": "{twin}", "reason": "duplicate"}, "reason", "validation_error"),
        (
            {"merged_id": "{twin}", "reason": "other", "fields_from_merged": ["marketing_objection_at"]},
            None,
            "validation_error",
        ),
        (
            {"merged_id": "{twin}", "reason": "other", "bases_from_merged": ["training"]},
            "bases_from_merged",
            "rule_violation",
        ),
    ],
)
def test_bad_merges_answer_422_and_change_nothing(api_as, cast, person, twin, payload, field, code):
    body = {
        k: v.format(person=person.pk, twin=twin.pk) if isinstance(v, str) else v for k, v in payload.items()
    }

    response = api_as(cast.crm).post(f"/persons/{person.pk}/merge", body)

    error = _error(response, 422, code)
    if field is not None:
        assert field in [item["field"] for item in error["errors"]]
    assert Person.objects.count() == 2


def test_merging_a_restricted_person_answers_409(api_as, cast, person, twin):
    Person.objects.filter(pk=twin.pk).update(restricted_at=timezone.now())

    response = api_as(cast.privacy_officer).post(
        f"/persons/{person.pk}/merge", {"merged_id": str(twin.pk), "reason": "duplicate_entry"}
    )

    _error(response, 409, "restricted")
    assert Person.objects.count() == 2


def test_merging_an_already_merged_id_answers_422(api_as, cast, person, twin, system_actor):
    third = person_create(actor=system_actor, first_name="Anna", last_name="Kolmas")
    api = api_as(cast.crm)
    api.post(f"/persons/{person.pk}/merge", {"merged_id": str(twin.pk), "reason": "duplicate_entry"})

    response = api.post(
        f"/persons/{third.pk}/merge", {"merged_id": str(twin.pk), "reason": "duplicate_entry"}
    )

    error = _error(response, 422, "rule_violation")
    assert error["errors"][0]["message"] == "Already merged into another person."
