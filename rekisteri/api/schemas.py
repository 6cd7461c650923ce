"""Field types shared by the API's input schemas.

Input is checked here before any service sees it, so that nothing a client can send
reaches the database in a form it rejects with an error (a NUL byte on PostgreSQL, a lone
surrogate that cannot be encoded, an id beyond 64 bits): those are 422s, not 500s.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, ClassVar

from ninja import Schema
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

# The largest value of a 64-bit signed primary key on SQLite and PostgreSQL.
MAX_DB_INT = 2**63 - 1
_MULTILINE_CONTROLS = {"\n", "\r", "\t"}


def _check_characters(value: str, allowed_controls: set[str]) -> str:
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cs":
            raise ValueError("Contains an invalid character (an unpaired surrogate).")
        if category == "Cc" and ch not in allowed_controls:
            raise ValueError("Contains a control character; remove it.")
    return value


def _single_line(value: str) -> str:
    return _check_characters(value, set())


def _multiline(value: str) -> str:
    return _check_characters(value, _MULTILINE_CONTROLS)


def Line(max_length: int):
    """One line of text: no control characters, at most max_length characters."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_single_line)]


def Paragraphs(max_length: int):
    """Free text: line breaks and tabs allowed, other control characters not."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_multiline)]


# An id sent in a JSON body: a real integer (not "12", not true) that fits a database key.
BodyId = Annotated[int, Strict(), Field(ge=1, le=MAX_DB_INT)]


class InputSchema(Schema):
    """Base of every input schema: unknown fields are refused, so a typo is a 422, not ignored."""

    model_config = ConfigDict(extra="forbid")


class PatchSchema(InputSchema):
    """Base of partial updates: only the fields sent change; null only clears what may be empty."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_allowed(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("This field cannot be null; leave it out to keep its value.")
        return value
