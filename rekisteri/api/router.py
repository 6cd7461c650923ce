"""The REST API at /api/v1/: one NinjaAPI, one router per app."""

from __future__ import annotations

import functools

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from rekisteri.api.auth import ApiTokenAuth
from rekisteri.api.errors import error_response, install_exception_handlers
from rekisteri.contacts.api import router as contacts_router
from rekisteri.organizations.api import router as organizations_router
from rekisteri.people.api import router as people_router
from rekisteri.rights.api import router as rights_router


@csrf_exempt
def _unknown_path(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return error_response(404, "No such API endpoint. See /api/v1/docs.", "not_found")


def _json_errors(view):
    """Ninja answers a wrong method with a plain-text 405 and its root with Django's HTML 404."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
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


class RekisteriAPI(NinjaAPI):
    """NinjaAPI whose every answer, unknown paths and wrong methods included, is JSON."""

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            pattern.callback = _json_errors(pattern.callback)
        patterns.append(re_path(r"^.*$", _unknown_path))
        return patterns, app_name, namespace


api = RekisteriAPI(
    title="rekisteri API",
    version="1",
    description=(
        "The customer and student register. Authenticate with `Authorization: Bearer <token>` "
        "(create one with `rekisteri token create --user NAME`). Only staff with a signed "
        "confidentiality agreement may use it; every read and write is audited. Every error "
        'has the shape {"detail": ..., "errors": [{"field": ..., "message": ...}], "code": ...}.'
    ),
    urls_namespace="api",
    auth=ApiTokenAuth(),
)
install_exception_handlers(api)
api.add_router("/organizations", organizations_router)
api.add_router("/persons", people_router)
api.add_router("/persons", contacts_router)
api.add_router("/requests", rights_router)
