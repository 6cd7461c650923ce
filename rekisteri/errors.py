"""Service errors: a stable code for machines and a lazily translated message for people.

A service refuses input with `ServiceError(_("Another person has this e-mail."), code="person.email_taken")`
(or puts one under a field in a dict given to `ValidationError`). The message is a
`gettext_lazy` string; its parameters are formatted after translation, when the message is
read (Django's `ValidationError.messages` does both), so one error reads right in every
caller's language: the staff UI shows it in the user's language as it is, the API answers in
English with the code beside the message, the CLI prints it in English (`english`).

Codes are "<area>.<what>" and name one message each (tests/test_service_errors.py holds
them unique and translated). The Django-free normalisers of `rekisteri.lib` raise
errors with a code and an English template (rekisteri.lib.errors.CodedError);
`from_lib_error` turns one into a service error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from rekisteri.lib.errors import CodedError


class ServiceError(ValidationError):
    """A rule of the register refused the input: `code` for machines, `message` for people.

    `message` is lazy (gettext_lazy) and may hold %(name)s placeholders filled from `params`
    after translation; `field` names the input at fault.
    """

    def __init__(
        self,
        message: str | Promise,
        code: str,
        params: Mapping[str, Any] | None = None,
        *,
        field: str | None = None,
    ):
        error = ValidationError(message, code=code, params=dict(params) if params else None)
        # With `field`, the error is about that field ({field: [error]}), as a form shows it.
        super().__init__({field: error} if field else error)


# The checks every service makes of its fields, one code each.
def required() -> ServiceError:
    return ServiceError(_("This field is required."), code="field.required")


def unknown_field() -> ServiceError:
    return ServiceError(_("Unknown field."), code="field.unknown")


def too_long(limit: int) -> ServiceError:
    return ServiceError(_("At most %(limit)s characters."), code="field.too_long", params={"limit": limit})


def choose_one(choices) -> ServiceError:
    """The value is none of `choices` (an iterable of the allowed values, listed in the message)."""
    return ServiceError(
        _("Choose one of: %(choices)s."), code="field.choice", params={"choices": ", ".join(choices)}
    )


def from_lib_error(exc: CodedError) -> ServiceError:
    """A lib function's error (a normaliser's, a deadline's) as a service error; lib marked its
    template for translation."""
    return ServiceError(gettext_lazy(exc.template), code=exc.code, params=exc.params)


def english(exc: ValidationError, sep: str = " ") -> str:
    """The error's messages in English, for the CLI and for text the register stores."""
    with translation.override("en"):
        return sep.join(exc.messages)


def codes(exc: ValidationError) -> dict[str, list[str | None]]:
    """The codes of a ValidationError by field ("__all__" for the whole input): what a caller
    acts on, rather than the wording."""
    if hasattr(exc, "error_dict"):
        return {field: [error.code for error in errors] for field, errors in exc.error_dict.items()}
    return {"__all__": [error.code for error in exc.error_list]}
