"""Shared pieces of the marketing API: path types and the person lookup."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Path
from pydantic import Field

from rekisteri.accounts.api_auth import api_user
from rekisteri.marketing.models import Channel
from rekisteri.people.api import person_missing
from rekisteri.people.models import Person
from rekisteri.people.selectors import visible_persons

PersonId = Annotated[UUID, Path(description="The person's id (a UUID).")]
SLUG_PATTERN = "^[a-z0-9][a-z0-9-]{0,63}$"
Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=SLUG_PATTERN)]
GivingChannel = Literal["web_form", "email", "phone", "paper", "event"]
WithdrawChannel = Literal[tuple(Channel.values)]


def person_for(request: HttpRequest, person_id: UUID) -> Person:
    person = visible_persons(api_user(request)).filter(pk=person_id).first()
    if person is None:
        raise person_missing(person_id)
    return person
