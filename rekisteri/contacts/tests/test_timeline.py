"""The person card's timeline: pages, totals and joined authors, as the ORM gives them."""

from datetime import timedelta

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.selectors import TIMELINE_PAGE_SIZE, interaction_timeline
from rekisteri.contacts.services import interaction_create
from rekisteri.keystore.services import key_scope

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {key: value for key, value in instance.__dict__.items() if not key.startswith("_")}


def _orm_page(person, number):
    paginator = Paginator(
        Interaction.objects.filter(person=person).select_related("author").order_by("-occurred_at", "id"),
        TIMELINE_PAGE_SIZE,
    )
    page = paginator.get_page(number)
    return list(page.object_list), page.number, paginator.count


@pytest.fixture
def history(person, cast):
    now = timezone.now()
    authors = [Actor.for_user(cast.crm, "ui"), Actor.for_user(cast.sales, "ui")]
    for n in range(TIMELINE_PAGE_SIZE + 5):
        interaction_create(
            actor=authors[n % 2],
            person=person,
            kind="call",
            text=f"Soitto {n}",
            # Two share each time: the id decides their order.
            occurred_at=now - timedelta(days=n // 2),
        )
    return person


@pytest.mark.parametrize("number", [1, 2, 3, 99])
def test_a_page_is_the_orms_page_with_its_total(history, number):
    expected, expected_number, expected_total = _orm_page(history, number)
    page = interaction_timeline(history.pk, page=number)
    assert (page.number, page.total) == (expected_number, expected_total) == (min(number, 2), 25)
    fields = [{k: v for k, v in _fields(i).items() if k != "timeline_total"} for i in page.interactions]
    assert fields == [_fields(interaction) for interaction in expected]  # the stored ciphertexts too
    with key_scope():
        texts = [interaction.text for interaction in page.interactions]
        assert texts == [interaction.text for interaction in expected]
    assert len(texts) == (20 if page.number == 1 else 5) and set(texts) <= {f"Soitto {n}" for n in range(25)}


def test_the_first_page_is_one_query_with_the_authors_joined(history, cast):
    with CaptureQueriesContext(connection) as queries:
        page = interaction_timeline(history.pk)
        authors = {interaction.author.get_username() for interaction in page.interactions}
    assert len(queries) == 1
    assert authors == {cast.crm.get_username(), cast.sales.get_username()}


def test_a_person_without_interactions_has_an_empty_first_page(person):
    page = interaction_timeline(person.pk, page=1)
    assert (page.interactions, page.number, page.total) == ([], 1, 0)
    assert interaction_timeline(person.pk, page=5).number == 1
