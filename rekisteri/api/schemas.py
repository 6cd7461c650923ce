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
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

# The largest value of a 64-bit signed primary key on SQLite and PostgreSQL.
MAX_DB_INT = 2**63 - 1
_MULTILINE_CONTROLS = {"\n", "\r", "\t"}

# The same rules as _check_characters, written for the OpenAPI document (ECMA regular
# expressions): no C0 or C1 control character (Unicode category Cc), so a client, or
# schemathesis, can tell valid text from the document alone. (An unpaired surrogate, refused
# too, is not Unicode text at all; a pattern cannot name one in every validator.)
_SINGLE_LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
_MULTILINE_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"


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
    return Annotated[
        str,
        StringConstraints(max_length=max_length),
        AfterValidator(_single_line),
        Field(json_schema_extra={"pattern": _SINGLE_LINE_PATTERN}),
    ]


def Paragraphs(max_length: int):
    """Free text: line breaks and tabs allowed, other control characters not."""
    return Annotated[
        str,
        StringConstraints(max_length=max_length),
        AfterValidator(_multiline),
        Field(json_schema_extra={"pattern": _MULTILINE_PATTERN}),
    ]


def _json_integer(value: Any) -> Any:
    # JSON has one kind of number: 12.0 is the integer 12 (JSON Schema says so too), while
    # "12" and true are not numbers at all and stay refused by Strict().
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def JsonInt(*, ge: int, le: int):
    """An integer in a JSON body: a number without a fraction (12 or 12.0), not "12", not true."""
    return Annotated[int, Field(strict=True, ge=ge, le=le), BeforeValidator(_json_integer)]


# An id sent in a JSON body that fits a database key.
BodyId = JsonInt(ge=1, le=MAX_DB_INT)


def _without_null(property_schema: dict[str, Any]) -> None:
    variants = property_schema.get("anyOf")
    if not variants:
        return
    kept = [variant for variant in variants if variant.get("type") != "null"]
    if len(kept) == 1:
        del property_schema["anyOf"]
        property_schema.update(kept[0])
    else:
        property_schema["anyOf"] = kept


def _patch_schema_nulls(schema: dict[str, Any], model: type) -> None:
    """A PatchSchema's fields are optional (leave one out to keep its value), but only the
    `nullable` ones take null: the OpenAPI document says so too."""
    for name, property_schema in schema.get("properties", {}).items():
        if name not in model.nullable:
            _without_null(property_schema)
            if "default" in property_schema and property_schema["default"] is None:
                del property_schema["default"]


class InputSchema(Schema):
    """Base of every input schema: unknown fields are refused, so a typo is a 422, not ignored."""

    model_config = ConfigDict(extra="forbid")


class PatchSchema(InputSchema):
    """Base of partial updates: only the fields sent change; null only clears what may be empty."""

    nullable: ClassVar[frozenset[str]] = frozenset()
    model_config = ConfigDict(extra="forbid", json_schema_extra=_patch_schema_nulls)

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_allowed(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("This field cannot be null; leave it out to keep its value.")
        return value
