"""Art. 19: a rectification, erasure or restriction creates a task per recipient of the
person's data, with a deadline, closed when the recipient was told; section 6 recipients."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.lib.deadlines import add_months
from rekisteri.people.models import Person
from rekisteri.privacy.disclosure import disclosure_record
from rekisteri.privacy.models import GroupCompany, Recipient, RecipientNotification
from rekisteri.privacy.recipients import recipient_notification_complete
from rekisteri.rights.fulfilment import request_fulfil
from rekisteri.rights.models import RequestType, Status
from rekisteri.rights.tests.fulfil_helpers import officer, verified_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def disclosed(person, system_actor):
    disclosure_record(
        actor=system_actor,
        person=person,
        recipient_company=GroupCompany.objects.get(name="Insta DefSec Oy"),
        categories=["name", "email"],
    )
    disclosure_record(
        actor=system_actor,
        person=person,
        recipient_name="Markkinointi- ja uutiskirjepalvelun palveluntarjoaja",
        categories=["email"],
    )
    return person


def test_an_erasure_leaves_a_task_for_each_recipient_that_outlives_the_person(disclosed, cast):
    request = verified_request(actor=officer(cast), type=RequestType.ERASURE, language="en")
    assert request_fulfil(actor=officer(cast), request=request).status == Status.FULFILLED
    assert not Person.objects.filter(pk=disclosed.pk).exists()

    tasks = RecipientNotification.objects.filter(person_id=disclosed.pk, event="erasure")
    assert {t.recipient_name for t in tasks} == {
        "Insta DefSec Oy",
        "Markkinointi- ja uutiskirjepalvelun palveluntarjoaja",
    }
    assert all(t.request_ref == request.reference and t.completed_at is None for t in tasks)
    assert all(t.recipient is not None for t in tasks)  # both are in the recipients register
    # One calendar month from the day the task was made, in the register's own time zone.
    assert all(t.due_on == add_months(timezone.localdate(t.created_at), 1) for t in tasks)


def test_a_rectification_and_a_restriction_create_their_tasks(disclosed, cast):
    rectify = verified_request(actor=officer(cast), type=RequestType.RECTIFICATION, language="en")
    request_fulfil(actor=officer(cast), request=rectify, changes={"title": "Johtaja"})
    restrict = verified_request(
        actor=officer(cast), type=RequestType.RESTRICTION, language="en", details="Tarkistakaa osoite."
    )
    request_fulfil(actor=officer(cast), request=restrict)
    events = sorted(RecipientNotification.objects.values_list("event", flat=True))
    assert events == ["rectification", "rectification", "restriction", "restriction"]


def test_no_recipients_no_tasks(person, cast):
    request = verified_request(actor=officer(cast), type=RequestType.ERASURE, language="en")
    request_fulfil(actor=officer(cast), request=request)
    assert not RecipientNotification.objects.exists()


def test_the_privacy_officer_closes_a_task_from_the_page(disclosed, cast):
    request = verified_request(actor=officer(cast), type=RequestType.ERASURE, language="en")
    request_fulfil(actor=officer(cast), request=request)
    task = RecipientNotification.objects.first()
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")
    assert "Insta DefSec Oy" in client.get("/retention/").content.decode()

    assert client.post(f"/retention/notifications/{task.pk}/done/").status_code == 302

    task.refresh_from_db()
    assert (task.completed_by, task.completed_at is not None) == (cast.privacy_officer, True)
    with pytest.raises(Exception):  # noqa: B017 - a second completion is refused
        recipient_notification_complete(actor=Actor.for_user(cast.privacy_officer, "ui"), notification=task)


def test_the_art15_processors_come_from_the_recipients_register(db):
    Recipient.objects.create(
        kind="processor", name="Pilvi Oy", service_fi="Varmuuskopiointi", service_en="Backups"
    )
    from rekisteri.rights.fulfilment.information import processor_categories

    assert {"fi": "Varmuuskopiointi", "en": "Backups"} in processor_categories()
    Recipient.objects.filter(name="Pilvi Oy").update(active=False)
    assert {"fi": "Varmuuskopiointi", "en": "Backups"} not in processor_categories()
