"""The NinjaAPI of rekisteri: every answer JSON, unknown paths and wrong methods included.

The routers of the apps are assembled into it in rekisteri/api_v1.py, beside the URLs.
"""

from __future__ import annotations

import functools

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from rekisteri.api.errors import VALIDATION_ERROR, ErrorOut, error_response

# Answers any operation can give, whatever its code declares, because they come from the
# API's own machinery: the token check and the section 11 gate, an erased person met while
# answering (the KeyDestroyed handler), a body that is not JSON or too large, a parameter of
# the wrong shape. get_openapi_schema adds each to every operation it applies to, so the
# document lists every answer a client can get (the schemathesis run checks that it does).
_AUTHENTICATED = {
    "401": "No valid API token.",
    "403": "The token's owner may not see personal data (no confidentiality agreement in force) "
    "or lacks the permission.",
    "410": "The person concerned has been erased (code erased) or merged into another (code merged).",
}
_WITH_BODY = {
    "400": "The body is not valid JSON (code malformed_request).",
    "413": "The body is too large (code payload_too_large).",
}
_WITH_PARAMETERS = {
    "422": "validation_error: the input does not match this document; rule_violation: it does, "
    "but a rule of the register refuses it.",
}
_WITH_PATH_PARAMETERS = {"404": "Nothing has this id."}


@csrf_exempt
def _unknown_path(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return error_response(404, "No such API endpoint. See /api/v1/docs.", "not_found")


def _repeated_parameters(request: HttpRequest) -> HttpResponse | None:
    # Django would quietly take the last of ?limit=x&limit=10; no parameter of this API is a
    # list, so a repeated one is a mistake to report.
    repeated = sorted(name for name in request.GET if len(request.GET.getlist(name)) > 1)
    if not repeated:
        return None
    errors = [(name, "Give this parameter once.") for name in repeated]
    detail = "; ".join(f"{name}: {message}" for name, message in errors)
    return error_response(422, detail, VALIDATION_ERROR, errors)


def _json_errors(view):
    """Ninja answers a wrong method with a plain-text 405 and its root with Django's HTML 404."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refused = _repeated_parameters(request)
        if refused is not None:
            return refused
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return _unknown_path(request)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            response_json = error_response(
                405, f"Method {request.method} is not allowed here; use {allowed}.", "method_not_allowed"
            )
            response_json["Allow"] = allowed
            return response_json
        return response

    return wrapper


def _error_reference(schema: dict) -> dict:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorOut" not in components:
        components["ErrorOut"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    return {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


def _document_common_errors(schema: dict) -> None:
    content = _error_reference(schema)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            parameters = operation.get("parameters", [])
            answers: dict[str, str] = {}
            if operation.get("security"):
                answers.update(_AUTHENTICATED)
            if "requestBody" in operation:
                answers.update(_WITH_BODY)
            if parameters or "requestBody" in operation:
                answers.update(_WITH_PARAMETERS)
            if any(parameter.get("in") == "path" for parameter in parameters):
                answers.update(_WITH_PATH_PARAMETERS)
            responses = operation.setdefault("responses", {})
            for status, description in answers.items():
                # An operation's own declaration (a 410 with survivor_id, say) stays.
                if status not in responses and int(status) not in responses:
                    responses[int(status)] = {"description": description, "content": content}


class RekisteriAPI(NinjaAPI):
    """NinjaAPI whose every answer, unknown paths and wrong methods included, is JSON."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        _document_common_errors(schema)
        return schema

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            pattern.callback = _json_errors(pattern.callback)
        patterns.append(re_path(r"^.*$", _unknown_path))
        return patterns, app_name, namespace
