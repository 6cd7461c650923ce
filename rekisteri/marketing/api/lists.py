"""/api/v1/lists and /api/v1/topics: newsletter lists, their subscribers, and the consent
wordings of every topic (Art. 7(1): what the person was shown, in fi and en)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from django.http import HttpRequest
from ninja import Path, Router, Schema, Status
from pydantic import Field

from rekisteri.accounts.api_auth import api_actor, api_user, staff_with
from rekisteri.api.errors import ApiError, error_responses
from rekisteri.api.schemas import InputSchema, Line, Paragraphs
from rekisteri.marketing.api.common import SLUG_PATTERN, Slug
from rekisteri.marketing.models import Topic, Wording
from rekisteri.marketing.services.consents import topic_create, wording_add
from rekisteri.people.selectors import visible_persons

lists_router = Router(tags=["lists"])
topics_router = Router(tags=["lists"])


ListSlug = Annotated[str, Path(description="The list's slug.", pattern=SLUG_PATTERN, max_length=64)]


class ListIn(InputSchema):
    slug: Slug
    name_fi: Line(200) = Field(min_length=1)
    name_en: Line(200) = Field(min_length=1)


class ListOut(Schema):
    slug: str
    name_fi: str
    name_en: str
    wording_version: int
    subscribers: int


class SubscriberIn(InputSchema):
    person_id: UUID


class SubscriptionOut(Schema):
    id: UUID
    person_id: UUID
    list: str
    state: str
    channel: str
    subscribed_at: datetime


def _list_out(topic: Topic) -> dict:
    from rekisteri.marketing.models import Subscription

    wording = topic.wordings.order_by("-version").first()
    return {
        "slug": topic.slug,
        "name_fi": topic.name_fi,
        "name_en": topic.name_en,
        "wording_version": wording.version if wording else 0,
        "subscribers": Subscription.objects.filter(topic=topic, state="active").count(),
    }


def _topic(slug: str) -> Topic:
    topic = Topic.objects.filter(slug=slug, kind=Topic.Kind.LIST).first()
    if topic is None:
        raise ApiError(404, "No such list.", code="not_found")
    return topic


@lists_router.get(
    "", response={200: list[ListOut], **error_responses(401, 403)}, auth=staff_with("marketing.view_topic")
)
def list_lists(request: HttpRequest):
    return [_list_out(topic) for topic in Topic.objects.filter(kind=Topic.Kind.LIST).order_by("slug")]


@lists_router.post(
    "", response={201: ListOut, **error_responses(401, 403, 409, 422)}, auth=staff_with("marketing.add_topic")
)
def create_list(request: HttpRequest, payload: ListIn):
    """A newsletter list (a marketing topic) with the first version of its consent wording."""
    if Topic.objects.filter(slug=payload.slug).exists():
        raise ApiError(409, "A list with this slug exists already.", code="conflict")
    topic = topic_create(
        actor=api_actor(request), slug=payload.slug, name_fi=payload.name_fi, name_en=payload.name_en
    )
    return Status(201, _list_out(topic))


@lists_router.post(
    "/{slug}/subscribers",
    response={201: SubscriptionOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("marketing.add_subscription"),
)
def add_subscriber(request: HttpRequest, slug: ListSlug, payload: SubscriberIn):
    """Put a person on the list. Messages still go only to those with a lawful basis: an
    opt-in consent to the topic or, for B2B opt-out campaigns, the topic marked relevant."""
    from rekisteri.marketing.services.lists import subscription_add

    topic = _topic(slug)
    person = visible_persons(api_user(request)).filter(pk=payload.person_id).first()
    if person is None:
        raise ApiError(
            422,
            "person_id: No such person.",
            code="rule_violation",
            errors=[("person_id", "No such person.")],
        )
    subscription = subscription_add(actor=api_actor(request), person=person, topic=topic)
    return Status(
        201,
        {
            "id": subscription.pk,
            "person_id": subscription.person_id,
            "list": topic.slug,
            "state": subscription.state,
            "channel": subscription.channel,
            "subscribed_at": subscription.subscribed_at,
        },
    )


# --- Topics and their consent wordings ----------------------------------------------------

TopicSlug = Annotated[str, Path(description="The topic's slug.", pattern=SLUG_PATTERN, max_length=64)]


class TopicOut(Schema):
    slug: str
    kind: str
    name_fi: str
    name_en: str
    wording_version: int


class WordingIn(InputSchema):
    text_fi: Paragraphs(5000) = Field(min_length=1)
    text_en: Paragraphs(5000) = Field(min_length=1)


class WordingOut(Schema):
    topic: str
    version: int
    text_fi: str
    text_en: str
    created_at: datetime
    used: bool = Field(description="Whether a consent names it: a used wording never changes.")


def _wording_out(wording: Wording, used: bool) -> dict:
    return {
        "topic": wording.topic.slug,
        "version": wording.version,
        "text_fi": wording.text_fi,
        "text_en": wording.text_en,
        "created_at": wording.created_at,
        "used": used,
    }


def _any_topic(slug: str) -> Topic:
    topic = Topic.objects.filter(slug=slug).first()
    if topic is None:
        raise ApiError(404, "No such topic.", code="not_found")
    return topic


@topics_router.get(
    "", response={200: list[TopicOut], **error_responses(401, 403)}, auth=staff_with("marketing.view_topic")
)
def list_topics(request: HttpRequest):
    """Every marketing topic: the newsletter lists and the read-tracking topic."""
    from django.db.models import Max

    topics = Topic.objects.annotate(newest=Max("wordings__version")).order_by("slug")
    return [
        {
            "slug": t.slug,
            "kind": t.kind,
            "name_fi": t.name_fi,
            "name_en": t.name_en,
            "wording_version": t.newest or 0,
        }
        for t in topics
    ]


@topics_router.get(
    "/{slug}/wordings",
    response={200: list[WordingOut], **error_responses(401, 403, 404, 422)},
    auth=staff_with("marketing.view_wording"),
)
def list_wordings(request: HttpRequest, slug: TopicSlug):
    """The topic's consent wordings, newest version first, and whether each is used."""
    from rekisteri.marketing.selectors import wordings_of

    return [_wording_out(w, used) for w, used in wordings_of(_any_topic(slug))]


@topics_router.post(
    "/{slug}/wordings",
    response={201: WordingOut, **error_responses(401, 403, 404, 422)},
    auth=staff_with("marketing.add_wording"),
)
def create_wording(request: HttpRequest, slug: TopicSlug, payload: WordingIn):
    """A new version of the topic's consent wording (fi and en). It becomes the one shown
    from now on; earlier versions stay unchanged as the proof of earlier consents."""
    wording = wording_add(
        actor=api_actor(request), topic=_any_topic(slug), text_fi=payload.text_fi, text_en=payload.text_en
    )
    return Status(201, _wording_out(wording, False))
