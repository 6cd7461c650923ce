"""person_merge: every registered model's rows move to the survivor and stay readable."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import audit_verify
from rekisteri.contacts.models import Interaction, TrackingEvent
from rekisteri.contacts.services import interaction_create, tracking_event_record
from rekisteri.encryption.fields import EncryptedTextField
from rekisteri.encryption.models import PersonSearchTerms, SearchTerm
from rekisteri.keystore.models import DataKey, ErasureTombstone
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import reset_state
from rekisteri.outbox.services import mail_enqueue
from rekisteri.people.merge import MergeNotDeclared, merged_keys_destroy, person_merge
from rekisteri.people.models import Person, PersonCategory, PersonRedirect
from rekisteri.people.restriction import ProcessingRestricted
from rekisteri.people.selectors import person_search
from rekisteri.people.services import person_create, person_delete
from rekisteri.privacy import registry
from rekisteri.privacy.disclosure import disclosure_record
from rekisteri.privacy.models import DataSource, Disclosure, GroupCompany, ProcessingBasis, Rectification
from rekisteri.privacy.registry import PersonalDataModel, personal_data_models
from rekisteri.privacy.services import basis_set, source_add
from rekisteri.retention.models import LegalHold
from rekisteri.rights.models import DataSubjectRequest, ObjectionDecision, RequestAnswer

pytestmark = pytest.mark.django_db

MERGED_EMAIL = "anna.virtanen@vanha.fi"


@pytest.fixture
def survivor(person):
    return person


@pytest.fixture
def merged(system_actor, organization):
    return person_create(
        actor=system_actor,
        first_name="Anna",
        last_name="Virtanen",
        email=MERGED_EMAIL,
        phone="050 111 2222",
        organization=organization,
        categories=["student"],
    )


def _merge(actor, survivor, merged, **kwargs):
    kwargs.setdefault("reason", "duplicate_entry")
    return person_merge(actor=actor, survivor=survivor, merged=merged, **kwargs)


# --- Every registered model -----------------------------------------------------------------
# For each model in the personal-data registry: how to give the merged person a row, and
# the values that row must still read as on the survivor after the merge. A model added to
# the registry without a case here fails test_every_registered_model_has_a_merge_case.


@dataclass
class Case:
    make: Callable  # (actor, merged) -> the row's primary key, or None for the person's own rows
    values: dict  # encrypted field -> the value it must read as afterwards


def _request(actor, email=MERGED_EMAIL):
    from rekisteri.rights.services import request_create

    return request_create(
        actor=actor, type="access", channel="email", email=email, details="Haluan tietoni", name="Anna"
    )


def _make_request(actor, merged):
    request = _request(actor)
    assert request.person_id == merged.pk  # linked by the address, as at intake
    return request.pk


def _make_objection(actor, merged):
    request = _request(actor)
    return ObjectionDecision.objects.create(
        request=request, person=merged, purposes=["customer_relationship"], reasons="Kohtuuton"
    ).pk


def _make_answer(actor, merged):
    request = _request(actor)
    return RequestAnswer.objects.create(
        request=request, person=merged, kind="access", content_json='{"a": 1}'
    ).pk


def _make_redirect(actor, merged):
    earlier = person_create(actor=actor, first_name="Anna", last_name="Virtanen-Vanha")
    _merge(actor, merged, earlier)
    return earlier.pk


def _enrollment(actor, merged):
    from datetime import date

    from rekisteri.training.services import course_create, enrollment_create, instance_create

    course = course_create(
        actor=actor,
        code="MERGE-1",
        name_fi="Kurssi",
        name_en="Course",
        company=GroupCompany.objects.get(is_controller=True),
    )
    instance = instance_create(
        actor=actor, course=course, starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 1), online=True
    )
    return enrollment_create(actor=actor, instance=instance, person=merged)


def _result(actor, merged):
    from datetime import date

    from rekisteri.training.services import result_set

    return result_set(
        actor=actor,
        enrollment=_enrollment(actor, merged),
        grade="pass",
        completed_on=date(2026, 1, 1),
        passed=True,
    )


def _make_result_change(actor, merged):
    from datetime import date

    from rekisteri.training.services import result_set

    result = _result(actor, merged)
    result_set(
        actor=actor,
        enrollment=result.enrollment,
        grade="pass",
        completed_on=date(2026, 1, 2),
        passed=True,
        reason="Päivä korjattu",
    )
    return result.changes.get().pk


def _make_certificate(actor, merged):
    from rekisteri.training.services import certificate_issue

    return certificate_issue(actor=actor, enrollment=_result(actor, merged).enrollment).pk


def _make_permission(actor, merged):
    from rekisteri.training.services import permission_record

    return permission_record(actor=actor, person=merged, recipient="Lupavirasto").pk


def _make_portal_link(actor, merged):
    import secrets
    from datetime import timedelta

    from django.utils import timezone

    from rekisteri.training.models import PortalLink

    return PortalLink.objects.create(
        person=merged,
        token_hash=secrets.token_hex(32),
        kind="verify",
        expires_at=timezone.now() + timedelta(hours=1),
    ).pk


def _topic(actor):
    from rekisteri.marketing.models import Topic
    from rekisteri.marketing.services.consents import topic_create

    return Topic.objects.filter(slug="uutiset").first() or topic_create(
        actor=actor, slug="uutiset", name_fi="Uutiset", name_en="News"
    )


def _make_consent(actor, merged):
    from rekisteri.marketing.models import Consent

    topic = _topic(actor)
    return Consent.objects.create(
        person=merged,
        topic=topic,
        wording=topic.wordings.get(),
        given_channel="web_form",
        evidence='{"form": "tilaus"}',
    ).pk


def _make_relevance(actor, merged):
    from rekisteri.marketing.services.consents import relevance_mark

    return relevance_mark(actor=actor, person=merged, topic=_topic(actor), reason="Ostaa koulutuksia").pk


def _make_subscription(actor, merged):
    from rekisteri.marketing.models import Subscription

    return Subscription.objects.create(person=merged, topic=_topic(actor), channel="paper").pk


def _make_delivery(actor, merged):
    from rekisteri.marketing.models import Campaign, Delivery

    campaign = Campaign.objects.create(topic=_topic(actor), subject="Uutiset", body_markdown="Hei")
    return Delivery.objects.create(campaign=campaign, person=merged, token_hash="0" * 64).pk


def _make_tracking_event(actor, merged):
    from rekisteri.marketing.services.consents import consent_give

    # Individual tracking of any kind needs the person's consent (section 9).
    consent_give(actor=actor, person=merged, topic="tracking", channel="web_form")
    return tracking_event_record(actor=actor, person=merged, kind="web_visit", reference="/hinnasto").pk


def _make_source_information(actor, merged):
    from rekisteri.notice.models import SourceInformation

    source = source_add(actor=actor, person=merged, kind="public_source", detail="Kaupparekisteri")
    return SourceInformation.objects.create(person=merged, source=source, channel="post").pk


CASES: dict[str, Case] = {
    "notice.SourceInformation": Case(_make_source_information, {"channel": "post"}),
    "training.Enrollment": Case(lambda actor, merged: _enrollment(actor, merged).pk, {}),
    "training.Result": Case(lambda actor, merged: _result(actor, merged).pk, {"grade": "pass"}),
    "training.ResultChange": Case(_make_result_change, {"reason": "Päivä korjattu"}),
    "training.Certificate": Case(_make_certificate, {}),
    "training.DisclosurePermission": Case(_make_permission, {"recipient": "Lupavirasto"}),
    "training.PortalLink": Case(_make_portal_link, {}),
    "people.Person": Case(lambda actor, merged: None, {}),
    "people.PersonCategory": Case(
        lambda actor, merged: PersonCategory.objects.get(person=merged, category="student").pk, {}
    ),
    "privacy.ProcessingBasis": Case(
        lambda actor, merged: (
            basis_set(
                actor=actor,
                person=merged,
                purpose="training",
                basis="contract",
                justification="Kurssisopimus",
            ).pk
        ),
        {"justification": "Kurssisopimus"},
    ),
    "privacy.DataSource": Case(
        lambda actor, merged: source_add(actor=actor, person=merged, kind="data_subject", detail="Lomake").pk,
        {"detail": "Lomake"},
    ),
    "contacts.Interaction": Case(
        lambda actor, merged: interaction_create(actor=actor, person=merged, kind="call", text="Soitto").pk,
        {"text": "Soitto"},
    ),
    "contacts.TrackingEvent": Case(_make_tracking_event, {"reference": "/hinnasto"}),
    "encryption.SearchTerm": Case(lambda actor, merged: None, {}),
    "encryption.PersonSearchTerms": Case(lambda actor, merged: None, {}),
    "rights.DataSubjectRequest": Case(
        _make_request, {"requester_email": MERGED_EMAIL, "details": "Haluan tietoni"}
    ),
    "privacy.Disclosure": Case(
        lambda actor, merged: (
            disclosure_record(
                actor=actor,
                person=merged,
                categories=["name"],
                recipient_company=GroupCompany.objects.get(is_controller=True),
            ).pk
        ),
        {},
    ),
    "privacy.Rectification": Case(
        lambda actor, merged: (
            Rectification.objects.create(
                person=merged, fields=["title"], before='{"title": "Myyjä"}', after='{"title": "Johtaja"}'
            ).pk
        ),
        {"before": '{"title": "Myyjä"}', "after": '{"title": "Johtaja"}'},
    ),
    "rights.ObjectionDecision": Case(_make_objection, {"reasons": "Kohtuuton"}),
    "rights.RequestAnswer": Case(_make_answer, {"content_json": '{"a": 1}'}),
    "people.PersonRedirect": Case(_make_redirect, {}),
    "retention.LegalHold": Case(
        lambda actor, merged: (
            LegalHold.objects.create(
                person=merged, kind="legal_claim", reason="KO 1/2026", ends_on=date(2030, 1, 1)
            ).pk
        ),
        {},
    ),
    "outbox.OutgoingMail": Case(
        lambda actor, merged: (
            mail_enqueue(
                to=MERGED_EMAIL, subject="Tervetuloa", text="Hei", kind="verify", person_id=merged.pk
            ).pk
        ),
        {"subject": "Tervetuloa"},
    ),
    "marketing.Consent": Case(_make_consent, {"evidence": '{"form": "tilaus"}'}),
    "marketing.RoleRelevance": Case(_make_relevance, {"reason": "Ostaa koulutuksia"}),
    "marketing.Subscription": Case(_make_subscription, {}),
    "marketing.Delivery": Case(_make_delivery, {}),
}


def test_every_registered_model_has_a_merge_case():
    assert set(CASES) == {entry.label for entry in personal_data_models()}


def test_every_registered_model_declares_a_merge_rule():
    from rekisteri.people.merge import MERGE_RULES, merge_rules_check

    assert all(entry.merge in MERGE_RULES for entry in merge_rules_check())


def test_a_merge_refuses_to_start_while_a_registered_model_has_no_rule(
    system_actor, survivor, merged, monkeypatch
):
    personal_data_models()
    undeclared = PersonalDataModel(
        label="people.PersonCategory",
        person_lookup="person",
        categories=("relationship",),
        purposes=("customer_relationship",),
        export=None,
    )
    monkeypatch.setitem(registry._REGISTRY, "future.Model", undeclared)

    with pytest.raises(MergeNotDeclared, match="people.PersonCategory"):
        _merge(system_actor, survivor, merged)
    assert Person.objects.filter(pk=merged.pk).exists()


def _fresh(model, pk):
    """The row as stored, read anew: nothing cached, values decrypted with the keys there are now."""
    reset_state()
    return model._default_manager.get(pk=pk)


@pytest.mark.parametrize("label", sorted(CASES))
def test_the_merged_persons_rows_move_to_the_survivor_and_read_under_its_key(
    label, system_actor, survivor, merged
):
    entry = registry.entry_for(label)
    case = CASES[label]
    pk = case.make(system_actor, merged)
    model = entry.model
    bound = [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedTextField) and f.person_attr in ("person_id", "person")
    ]
    before = list(model._default_manager.filter(pk=pk).values_list(*bound).get()) if pk and bound else None

    _merge(system_actor, survivor, merged)

    assert not entry.rows_by_lookup(merged.pk).exists(), f"{label} still has rows of the merged id"
    assert not DataKey.objects.using(KEYSTORE_DB).filter(person_id=merged.pk).exists()
    if pk is not None:
        row = _fresh(model, pk)
        assert getattr(row, entry.person_lookup + "_id") == survivor.pk
        for name, value in case.values.items():
            assert getattr(row, name) == value, name
        if before is not None:
            after = list(model._default_manager.filter(pk=pk).values_list(*bound).get())
            # Re-encrypted under the survivor's key, not left as the merged person's bytes.
            assert all(bytes(a) != bytes(b) for a, b in zip(after, before, strict=True) if a is not None)


def test_the_survivor_keeps_its_id_and_the_merged_row_and_key_are_gone_with_a_tombstone(
    system_actor, survivor, merged
):
    _merge(system_actor, survivor, merged)

    assert list(Person.objects.values_list("pk", flat=True)) == [survivor.pk]
    tombstone = ErasureTombstone.objects.using(KEYSTORE_DB).get(person_id=merged.pk)
    assert tombstone.reason == "duplicate" and tombstone.email_hash == ""
    redirect = PersonRedirect.objects.get(merged_id=merged.pk)
    assert redirect.survivor_id == survivor.pk and redirect.reason == "duplicate_entry"
    assert redirect.key_destroyed_at is not None
    assert DataKey.objects.using(KEYSTORE_DB).filter(person_id=survivor.pk).exists()


def test_the_merge_is_audited_with_both_ids_and_no_values(system_actor, survivor, merged):
    interaction_create(actor=system_actor, person=merged, kind="note", text="Muistiinpano")

    _merge(system_actor, survivor, merged, fields_from_merged=["phone"])

    event = AuditEvent.objects.get(action="merge")
    assert set(json.loads(event.person_ids)) == {str(survivor.pk), str(merged.pk)}
    detail = json.loads(event.detail)
    assert detail["survivor"] == str(survivor.pk) and detail["merged"] == str(merged.pk)
    assert detail["reason"] == "duplicate_entry"
    assert detail["fields"] == ["phone"]
    assert detail["rows"]["contacts.Interaction"] == 1
    for value in ("Anna", "Virtanen", MERGED_EMAIL, "Muistiinpano", "+358501112222"):
        assert value not in event.detail
    assert audit_verify().ok


def test_chosen_fields_come_from_the_merged_record_and_the_index_follows(system_actor, survivor, merged):
    result = _merge(system_actor, survivor, merged, fields_from_merged=["email"])

    reset_state()
    stored = Person.objects.get(pk=survivor.pk)
    assert stored.email == MERGED_EMAIL
    assert stored.phone == "+358401234567"  # the survivor's own
    assert result.survivor.pk == survivor.pk
    found = person_search(actor=system_actor, query=MERGED_EMAIL).results
    assert [p.pk for p in found] == [survivor.pk]
    assert person_search(actor=system_actor, query="anna.virtanen@testi.fi").results == []
    assert person_search(actor=system_actor, query="050 111 2222").results == []
    assert not SearchTerm.objects.filter(person_id=merged.pk).exists()
    assert not PersonSearchTerms.objects.filter(person_id=merged.pk).exists()


def test_categories_are_united_without_repeating_one(system_actor, survivor, merged):
    PersonCategory.objects.create(person=merged, category="customer_representative")

    _merge(system_actor, survivor, merged)

    assert sorted(PersonCategory.objects.filter(person=survivor).values_list("category", flat=True)) == [
        "customer_representative",
        "student",
    ]


def test_where_both_have_a_basis_for_a_purpose_the_survivors_stays_unless_chosen(
    system_actor, survivor, merged
):
    basis_set(actor=system_actor, person=survivor, purpose="customer_relationship", basis="contract")
    basis_set(
        actor=system_actor,
        person=merged,
        purpose="customer_relationship",
        basis="legitimate_interest",
        interest_ground="employer_relationship",
    )
    basis_set(actor=system_actor, person=survivor, purpose="training", basis="contract")
    basis_set(actor=system_actor, person=merged, purpose="training", basis="consent", justification="Lomake")

    result = _merge(system_actor, survivor, merged, bases_from_merged=["training"])

    bases = {
        b.purpose.slug: b for b in ProcessingBasis.objects.filter(person=survivor).select_related("purpose")
    }
    assert bases["customer_relationship"].basis == "contract"
    assert bases["training"].basis == "consent"
    reset_state()
    assert ProcessingBasis.objects.get(pk=bases["training"].pk).justification == "Lomake"
    assert sorted((r["purpose"], r["from"], r["basis"]) for r in result.bases_replaced) == [
        ("customer_relationship", "merged", "legitimate_interest"),
        ("training", "survivor", "contract"),
    ]
    detail = json.loads(AuditEvent.objects.get(action="merge").detail)
    assert len(detail["bases_replaced"]) == 2


def test_an_objection_to_marketing_on_the_merged_record_holds_for_the_survivor(
    system_actor, survivor, merged
):
    basis_set(actor=system_actor, person=survivor, purpose="direct_marketing", basis="consent")
    objected = timezone.now() - timedelta(days=3)
    Person.objects.filter(pk=merged.pk).update(marketing_objection_at=objected)

    _merge(system_actor, survivor, merged)

    survivor.refresh_from_db()
    assert survivor.marketing_objection_at == objected
    basis = ProcessingBasis.objects.get(person=survivor, purpose__slug="direct_marketing")
    assert basis.valid_until == timezone.localdate()


def test_a_lifted_restriction_of_the_merged_record_stays_on_record(system_actor, survivor, merged):
    lifted = timezone.now() - timedelta(days=1)
    merged.restriction_reason = "Tietojen oikeellisuus kiistetty"
    merged.restriction_lifted_at = lifted
    merged.restriction_lift_reason = "Tiedot tarkistettu"
    merged.save()

    _merge(system_actor, survivor, merged)

    reset_state()
    stored = Person.objects.get(pk=survivor.pk)
    assert stored.restricted_at is None
    assert stored.restriction_lifted_at == lifted
    assert (stored.restriction_reason, stored.restriction_lift_reason) == (
        "Tietojen oikeellisuus kiistetty",
        "Tiedot tarkistettu",
    )
    assert json.loads(AuditEvent.objects.get(action="merge").detail)["restriction_history"] == "taken"


def test_a_restricted_record_is_not_merged(system_actor, survivor, merged):
    Person.objects.filter(pk=merged.pk).update(restricted_at=timezone.now())

    with pytest.raises(ProcessingRestricted):
        _merge(system_actor, survivor, merged)

    assert Person.objects.count() == 2
    assert not PersonRedirect.objects.exists()
    assert DataKey.objects.using(KEYSTORE_DB).filter(person_id=merged.pk).exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": "because"}, "reason"),
        ({"fields_from_merged": ["restricted_at"]}, "fields_from_merged"),
        ({"bases_from_merged": ["training"]}, "bases_from_merged"),
    ],
)
def test_bad_choices_are_refused_before_anything_changes(system_actor, survivor, merged, kwargs, field):
    with pytest.raises(ValidationError) as excinfo:
        _merge(system_actor, survivor, merged, **kwargs)

    assert set(excinfo.value.message_dict) == {field}
    assert Person.objects.count() == 2


def test_a_person_is_not_merged_with_themselves(system_actor, survivor):
    with pytest.raises(ValidationError) as excinfo:
        _merge(system_actor, survivor, survivor)
    assert set(excinfo.value.message_dict) == {"merged_id"}


def test_merging_inside_a_transaction_is_refused(system_actor, survivor, merged):
    with pytest.raises(RuntimeError, match="transaction"), transaction.atomic():
        _merge(system_actor, survivor, merged)


def test_merging_the_survivor_again_leads_the_first_id_to_the_last_survivor(system_actor, survivor, merged):
    third = person_create(actor=system_actor, first_name="Anna", last_name="Virtanen-Uusi")
    _merge(system_actor, survivor, merged)

    _merge(system_actor, third, survivor)

    assert PersonRedirect.objects.get(merged_id=merged.pk).survivor_id == third.pk
    assert PersonRedirect.objects.get(merged_id=survivor.pk).survivor_id == third.pk


def test_erasing_the_survivor_removes_its_redirects(system_actor, survivor, merged):
    _merge(system_actor, survivor, merged)

    person_delete(actor=system_actor, person=survivor)

    assert not PersonRedirect.objects.exists()


def test_a_key_left_by_an_interrupted_merge_is_destroyed_by_the_next(
    system_actor, survivor, merged, monkeypatch
):
    from rekisteri.people import merge as merge_module

    monkeypatch.setattr(merge_module, "merged_keys_destroy", lambda: 0)  # the process died here
    _merge(system_actor, survivor, merged)
    assert DataKey.objects.using(KEYSTORE_DB).filter(person_id=merged.pk).exists()
    monkeypatch.undo()

    assert merged_keys_destroy() == 1

    assert not DataKey.objects.using(KEYSTORE_DB).filter(person_id=merged.pk).exists()
    assert PersonRedirect.objects.get(merged_id=merged.pk).key_destroyed_at is not None


def test_rows_of_both_stay_countable_after_the_merge(system_actor, survivor, merged):
    interaction_create(actor=system_actor, person=survivor, kind="call", text="Eka")
    interaction_create(actor=system_actor, person=merged, kind="call", text="Toka")
    source_add(actor=system_actor, person=survivor, kind="public_source")
    _make_tracking_event(system_actor, merged)
    disclosure_record(actor=system_actor, person=merged, categories=["name"], recipient_name="Palvelu Oy")

    _merge(system_actor, survivor, merged)

    assert Interaction.objects.filter(person=survivor).count() == 2
    assert DataSource.objects.filter(person=survivor).count() == 1
    assert TrackingEvent.objects.filter(person=survivor).count() == 1
    assert Disclosure.objects.filter(person=survivor).count() == 1
    assert DataSubjectRequest.objects.filter(person=merged.pk).count() == 0
