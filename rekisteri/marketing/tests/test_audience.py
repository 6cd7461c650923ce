"""The audience at send time: a table of cases, one per exclusion reason."""

from __future__ import annotations

import pytest
from django.utils import timezone

from rekisteri.marketing.audience import audience_compute
from rekisteri.marketing.models import Subscription
from rekisteri.marketing.services.consents import consent_give, relevance_mark
from rekisteri.marketing.services.lists import subscription_add, subscription_remove, suppression_add
from rekisteri.people.models import Person
from rekisteri.people.services import person_create, person_delete

pytestmark = pytest.mark.database


def _person(actor, name, email="x", **kwargs):
    email = f"{name.lower()}@firma.example" if email == "x" else email
    return person_create(actor=actor, first_name=name, last_name="Testi", email=email, allow_duplicate=True)


def _setup(actor, newsletter, name, *, subscribe=True, consent=True, relevant=False, email="x"):
    person = _person(actor, name, email)
    if consent:
        consent_give(actor=actor, person=person, topic=newsletter, channel="paper")
    if relevant:
        relevance_mark(actor=actor, person=person, topic=newsletter, reason="Ostaa koulutuksia")
    if subscribe:
        subscription_add(actor=actor, person=person, topic=newsletter)
    return person


# (name, how to make them, reason under opt_in, reason under b2b_opt_out); None: in the audience.
def _cases(actor, newsletter):
    made = {}
    made["optin"] = _setup(actor, newsletter, "Optin")
    made["b2b"] = _setup(actor, newsletter, "Btob", consent=False, relevant=True)
    made["nobasis"] = _setup(actor, newsletter, "Nobasis", consent=False)
    made["notsub"] = _setup(actor, newsletter, "Notsub", subscribe=False)
    made["restricted"] = _setup(actor, newsletter, "Restricted")
    Person.objects.filter(pk=made["restricted"].pk).update(restricted_at=timezone.now())
    made["objected"] = _setup(actor, newsletter, "Objected", relevant=True)
    Person.objects.filter(pk=made["objected"].pk).update(marketing_objection_at=timezone.now())
    made["unsub"] = _setup(actor, newsletter, "Unsub", relevant=True)
    subscription_remove(
        actor=actor, subscription=Subscription.objects.get(person=made["unsub"]), channel="unsubscribe"
    )
    made["suppressed"] = _setup(actor, newsletter, "Suppressed", relevant=True)
    suppression_add(actor=actor, email=made["suppressed"].email)
    made["noaddress"] = _setup(actor, newsletter, "Noaddress", email="")
    return made


EXPECTED = {
    "optin": (None, None),
    "b2b": ("no_basis", None),
    "nobasis": ("no_basis", "no_basis"),
    "notsub": ("not_subscribed", "not_subscribed"),
    "restricted": ("restricted", "restricted"),
    "objected": ("objected", "objected"),
    "unsub": ("unsubscribed", "unsubscribed"),
    "suppressed": ("suppressed", "suppressed"),
    "noaddress": ("no_address", "no_address"),
}


@pytest.mark.parametrize("basis,column", [("opt_in", 0), ("b2b_opt_out", 1)])
def test_every_exclusion_reason_is_counted(system_actor, newsletter, basis, column):
    made = _cases(system_actor, newsletter)
    audience = audience_compute(topic=newsletter, basis=basis)
    expected_in = {made[name].pk for name, reasons in EXPECTED.items() if reasons[column] is None}
    assert {r.person_id for r in audience.recipients} == expected_in
    expected_counts = {}
    for reasons in EXPECTED.values():
        if reasons[column] is not None:
            expected_counts[reasons[column]] = expected_counts.get(reasons[column], 0) + 1
    assert {k: v for k, v in audience.excluded.items() if v} == expected_counts


def test_an_erased_address_recreated_stays_out_of_opt_out_audiences(system_actor, newsletter):
    erased = _setup(system_actor, newsletter, "Erkki", relevant=True)
    person_delete(actor=system_actor, person=erased, reason="erasure_request")
    again = _setup(system_actor, newsletter, "Erkki", consent=False, relevant=True)
    audience = audience_compute(topic=newsletter, basis="b2b_opt_out")
    assert audience.count == 0 and audience.excluded["erased_address"] == 1
    assert audience.suppressed_ids == [again.pk]
    # A fresh opt-in of their own is a lawful basis again.
    consent_give(actor=system_actor, person=again, topic=newsletter, channel="web_form")
    assert audience_compute(topic=newsletter, basis="opt_in").count == 1


def test_tracking_is_individual_only_with_the_tracking_consent(system_actor, newsletter):
    person = _setup(system_actor, newsletter, "Seurattu")
    assert audience_compute(topic=newsletter, basis="opt_in").recipients[0].tracking_allowed is False
    consent_give(actor=system_actor, person=person, topic="tracking", channel="web_form")
    assert audience_compute(topic=newsletter, basis="opt_in").recipients[0].tracking_allowed is True


def test_staff_see_why_a_recreated_address_is_kept_out(system_actor, newsletter):
    from rekisteri.marketing.selectors import marketing_overview

    erased = _setup(system_actor, newsletter, "Eeva")
    person_delete(actor=system_actor, person=erased, reason="erasure_request")
    again = _person(system_actor, "Eeva")
    assert marketing_overview(actor=system_actor, person=again)["suppression"] == "erased_address"
