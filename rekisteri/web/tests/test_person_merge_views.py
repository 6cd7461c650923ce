"""Merging from the card: find the other record, compare side by side, confirm."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.services import interaction_create
from rekisteri.people.models import Person, PersonRedirect
from rekisteri.people.services import person_create
from rekisteri.privacy.services import basis_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def twin(system_actor, organization):
    return person_create(
        actor=system_actor,
        first_name="Anna",
        last_name="Virtanen",
        email="anna.virtanen@uusi.fi",
        title="",
        organization=organization,
    )


def _confirm_url(this, other):
    return reverse("web:person_merge_confirm", args=[this.pk, other.pk])


def _preselected(body: str) -> dict:
    """The radio buttons the page checks, as a browser would send them."""
    inputs = re.findall(r'<input type="radio" name="([^"]+)" value="([^"]+)"[^>]*checked', body)
    return dict(inputs)


def _merge(client, this, other, **choices):
    """Open the comparison, keep what it preselects unless told otherwise, and confirm."""
    url = _confirm_url(this, other)
    form = {**_preselected(client.get(url).content.decode()), "reason": "duplicate_entry", "confirm": "on"}
    return client.post(url, {**form, **choices})


def test_the_card_offers_the_merge_to_crm_but_not_to_sales(login, cast, person):
    url = reverse("web:person_merge", args=[person.pk])

    assert url in login(cast.crm).get(reverse("web:person_card", args=[person.pk])).content.decode()
    assert url not in login(cast.sales).get(reverse("web:person_card", args=[person.pk])).content.decode()


def test_the_search_finds_the_other_record_but_not_the_card_itself(login, cast, person, twin):
    response = login(cast.crm).get(reverse("web:person_merge", args=[person.pk]), {"q": "Virtanen"})

    body = response.content.decode()
    assert _confirm_url(person, twin) in body
    assert _confirm_url(person, person) not in body


def test_the_comparison_shows_both_records_and_preselects_filling_gaps(login, cast, person, twin):
    body = login(cast.crm).get(_confirm_url(person, twin)).content.decode()

    assert "anna.virtanen@testi.fi" in body and "anna.virtanen@uusi.fi" in body
    assert "Hankintapäällikkö" in body
    # The e-mail differs: this card's value is preselected. The title is empty on the
    # other card only, so this card's stays too; nothing is preselected from the other.
    assert _preselected(body)["field_email"] == "this"
    assert 'name="field_first_name"' not in body  # the same on both


def test_a_gap_on_this_card_is_filled_from_the_other_by_default(login, cast, twin, person):
    body = login(cast.crm).get(_confirm_url(twin, person)).content.decode()

    assert _preselected(body)["field_title"] == "other"


def test_confirming_merges_into_this_card_with_the_chosen_values(login, cast, person, twin, system_actor):
    interaction_create(actor=system_actor, person=twin, kind="call", text="Soitto uuteen numeroon")

    response = _merge(login(cast.crm), person, twin, field_email="other", field_title="this")

    assert response.status_code == 302
    assert response["Location"] == reverse("web:person_card", args=[person.pk])
    stored = Person.objects.get()
    assert stored.pk == person.pk
    assert stored.email == "anna.virtanen@uusi.fi"
    assert stored.title == "Hankintapäällikkö"
    assert Interaction.objects.get().person_id == person.pk
    assert AuditEvent.objects.filter(action="merge", actor_user_id=cast.crm.pk).exists()


def test_the_other_card_may_be_the_one_that_stays(login, cast, person, twin):
    _merge(login(cast.privacy_officer), person, twin, keep="other", field_email="other", field_title="this")

    stored = Person.objects.get()
    assert stored.pk == twin.pk
    assert stored.title == "Hankintapäällikkö"  # "this" card's value, kept on the other card
    assert PersonRedirect.objects.get().merged_id == person.pk


def test_without_the_confirmation_nothing_is_merged(login, cast, person, twin):
    response = login(cast.crm).post(_confirm_url(person, twin), {"keep": "this", "reason": "duplicate_entry"})

    assert response.status_code == 200
    assert Person.objects.count() == 2


def test_a_basis_both_have_is_chosen_on_the_page(login, cast, person, twin, system_actor):
    basis_set(actor=system_actor, person=person, purpose="training", basis="contract")
    basis_set(actor=system_actor, person=twin, purpose="training", basis="consent")
    client = login(cast.crm)

    assert 'name="basis_training"' in client.get(_confirm_url(person, twin)).content.decode()

    _merge(client, person, twin, field_email="this", field_title="this", basis_training="other")

    assert person.bases.get().basis == "consent"


def test_a_restricted_record_is_refused_with_the_reason_on_the_form(login, cast, person, twin):
    Person.objects.filter(pk=twin.pk).update(restricted_at=timezone.now())

    response = _merge(login(cast.privacy_officer), person, twin, field_email="this", field_title="this")

    assert response.status_code == 200
    assert "Henkilön tietojen käsittelyä on rajoitettu" in response.content.decode()
    assert Person.objects.count() == 2


def test_the_old_card_leads_to_the_survivor_with_a_message(login, cast, person, twin):
    client = login(cast.crm)
    _merge(client, person, twin, field_email="this", field_title="this")

    response = client.get(reverse("web:person_card", args=[twin.pk]), follow=True)

    assert response.redirect_chain == [(reverse("web:person_card", args=[person.pk]), 302)]
    assert "Avaamasi kortti yhdistettiin tähän korttiin" in response.content.decode()


def test_actions_on_the_old_id_do_nothing_and_lead_to_the_survivor(login, cast, person, twin):
    client = login(cast.crm)
    _merge(client, person, twin, field_email="this", field_title="this")

    response = client.post(
        reverse("web:interaction_new", args=[twin.pk]), {"kind": "call", "text": "Hukkaan"}
    )

    assert response["Location"] == reverse("web:person_card", args=[person.pk])
    assert not Interaction.objects.exists()


def test_the_audit_trail_of_the_survivor_includes_the_merged_records_history(login, cast, person, twin):
    client = login(cast.privacy_officer)
    client.get(reverse("web:person_card", args=[twin.pk]))  # a view of the record merged later
    _merge(client, person, twin, field_email="this", field_title="this")

    body = client.get(reverse("web:audit"), {"person": person.pk}).content.decode()

    viewed_twin = AuditEvent.objects.filter(action="view", person_ids__contains=str(twin.pk)).first()
    shown = re.findall(r'<td class="num[^"]*">(\d+)</td>', body)
    assert str(viewed_twin.seq) in shown
    assert len(shown) == len(set(shown))  # the merge event names both ids, and is listed once
