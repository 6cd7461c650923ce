"""One error shape for every API error, and the exception handlers that produce it.

Every error body is {"detail": str, "errors": [{"field": str | null, "message": str,
"code": str | null}], "code": str}; a few codes add fields of their own (a duplicate's
"existing_ids", a merged person's "survivor_id"). Malformed input of any kind is a 4xx; a 500
means a bug in rekisteri.

A 422 has one of two codes, and the difference is a promise about the OpenAPI document:
"validation_error" is input the document itself rules out (a wrong type, a control
character, a value out of range), "rule_violation" is input of the documented shape that a
rule of the register refuses (an id that names nothing, a combination not allowed, a
Y-tunnus with a wrong check digit). A schema-valid request never gets "validation_error";
the schemathesis run of the test suite (tests/api_fuzz) holds the API to that.

An item's "code" is the service error's own stable code ("person.email_taken", see
rekisteri/errors.py) where the service gave one. The services' messages are lazy translations:
the API reads them in English, whatever language the request would get in the staff UI.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic_core import PydanticCustomError

logger = logging.getLogger("rekisteri.api")

# Services name model fields; the API names the ids a client sends.
FIELD_ALIASES = {
    "organization": "organization_id",
    "owner_company": "owner_company_id",
    "responsible_staff": "responsible_staff_ids",
    "person": "person_id",
}


# (field, message) or (field, message, code)
ErrorTuple = tuple[str | None, str] | tuple[str | None, str, str | None]


class ErrorItem(Schema):
    field: str | None
    message: str
    # The service error's code ("person.email_taken"); null where the check has none.
    code: str | None = None


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem]
    code: str


class ApiError(Exception):
    """An error the API answers deliberately, with its status and machine-readable code.

    `extra` adds fields to the body beside the common ones (ids, never personal values).
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str,
        errors: Iterable[ErrorTuple] = (),
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.errors = list(errors)
        self.extra = dict(extra or {})


VALIDATION_ERROR = "validation_error"
RULE_VIOLATION = "rule_violation"


def field_error(field: str, message: str) -> ApiError:
    """A 422 about one field, raised by endpoint code for checks schemas cannot express."""
    return ApiError(422, f"{field}: {message}", code=RULE_VIOLATION, errors=[(field, message)])


def rule_violation(message: str) -> PydanticCustomError:
    """For an input schema's validator that checks a rule the OpenAPI document cannot state:
    raise it and the 422 says "rule_violation", not "validation_error"."""
    return PydanticCustomError(RULE_VIOLATION, message)


def error_body(detail: str, code: str, errors: Iterable[ErrorTuple] = ()) -> dict[str, Any]:
    return {
        "detail": detail,
        "errors": [
            {"field": error[0], "message": error[1], "code": error[2] if len(error) > 2 else None}
            for error in errors
        ],
        "code": code,
    }


def error_response(
    status: int,
    detail: str,
    code: str,
    errors: Iterable[ErrorTuple] = (),
    extra: dict[str, Any] | None = None,
):
    return JsonResponse(
        {**error_body(detail, code, errors), **(extra or {})},
        status=status,
        content_type="application/json; charset=utf-8",
    )


def field_errors_detail(errors: list[ErrorTuple]) -> str:
    return "; ".join(f"{error[0]}: {error[1]}" if error[0] else error[1] for error in errors)


def _field_name(loc: tuple[Any, ...]) -> str:
    """("body", "payload", "email") -> "email"; ("query", "limit") -> "limit"."""
    parts = list(loc)
    source = parts.pop(0) if parts else ""
    if source == "body" and parts and parts[0] == "payload":
        parts.pop(0)
    if not parts:
        # The whole body is wrong: not a JSON object, or missing.
        return "body" if source == "body" else str(source)
    return ".".join(str(part) for part in parts)


def _pydantic_message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "Invalid value."))
    # Our own validators raise ValueError; pydantic prefixes their message.
    return message.removeprefix("Value error, ")


def _on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    locations = [tuple(error.get("loc", ())) for error in exc.errors]
    if locations and all(loc[:1] == ("path",) for loc in locations):
        # /persons/None names no resource: it is not found, like any other unknown id.
        return error_response(404, "Not found.", "not_found")
    errors = [(_field_name(tuple(error.get("loc", ()))), _pydantic_message(error)) for error in exc.errors]
    only_rules = all(error.get("type") == RULE_VIOLATION for error in exc.errors)
    code = RULE_VIOLATION if only_rules else VALIDATION_ERROR
    return error_response(422, field_errors_detail(errors), code, errors)


def django_validation_errors(exc: DjangoValidationError) -> list[tuple[str | None, str, str | None]]:
    """(field, message, code) of each error, the message in English with its parameters filled in."""
    with translation.override("en"):
        return _errors_of(exc)


def _errors_of(exc: DjangoValidationError) -> list[tuple[str | None, str, str | None]]:
    if hasattr(exc, "error_dict"):
        return [
            (None if field == "__all__" else FIELD_ALIASES.get(field, field), *_message_and_code(error))
            for field, errors in exc.error_dict.items()
            for error in errors
        ]
    return [(None, *_message_and_code(error)) for error in exc.error_list]


def _message_and_code(error: DjangoValidationError) -> tuple[str, str | None]:
    message = error.message
    if error.params:
        message %= error.params
    return str(message), error.code


def _on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    # The services' checks: the input had the documented shape (the schema let it through).
    errors = django_validation_errors(exc)
    return error_response(422, field_errors_detail(errors), RULE_VIOLATION, errors)


def _on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    response = error_response(exc.status, exc.detail, exc.code, exc.errors, exc.extra)
    if exc.status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


def _on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404, "Not found.", "not_found")


def _on_authentication(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = error_response(
        401,
        "Authentication required: send a valid API token as 'Authorization: Bearer <token>'.",
        "not_authenticated",
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


def _on_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(403, str(exc) or "Forbidden.", "permission_denied")


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja raises HttpError(400, "Cannot parse request body") for bodies that are not JSON.
    if exc.status_code == 400:
        return error_response(
            400, "The request body is not valid JSON.", "malformed_request", [("body", str(exc))]
        )
    return error_response(exc.status_code, str(exc), "error")


def _on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(
        413,
        "The request body is too large.",
        "payload_too_large",
        [("body", "The request body is too large.")],
    )


def _on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return error_response(400, "The request is malformed.", "malformed_request")


def _on_integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # A concurrent write won a uniqueness race the service had checked for.
    logger.warning("API request conflicted with a concurrent write: %s", type(exc).__name__)
    return error_response(409, "The change conflicts with another record; reload and try again.", "conflict")


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A bug, not bad input. The traceback goes to the log; the client gets no internals.
    logger.exception("Unhandled error in API %s %s", request.method, request.path)
    return error_response(500, "Internal error. It has been logged.", "server_error")


def install_exception_handlers(api: NinjaAPI) -> None:
    api.add_exception_handler(Exception, _on_unexpected)
    api.add_exception_handler(ApiError, _on_api_error)
    api.add_exception_handler(NinjaValidationError, _on_ninja_validation)
    api.add_exception_handler(DjangoValidationError, _on_django_validation)
    api.add_exception_handler(Http404, _on_not_found)
    api.add_exception_handler(ObjectDoesNotExist, _on_not_found)
    api.add_exception_handler(PermissionDenied, _on_permission_denied)
    api.add_exception_handler(AuthenticationError, _on_authentication)
    api.add_exception_handler(HttpError, _on_http_error)
    api.add_exception_handler(IntegrityError, _on_integrity_error)
    api.add_exception_handler(RequestDataTooBig, _on_too_big)
    api.add_exception_handler(SuspiciousOperation, _on_suspicious)


# Declared in every operation's responses so the OpenAPI document shows the error shape.
def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    return dict.fromkeys(statuses, ErrorOut)
