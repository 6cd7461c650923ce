"""Bearer tokens, the NDA gate and per-endpoint permissions for the API.

The API takes no session cookies (so it needs no CSRF token): only `Authorization: Bearer
<token>` from `rekisteri token create`. The middleware leaves /api/ to this module, so the
same section 11 gate as the UI is applied here.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from rekisteri.accounts.access import personal_data_refusal
from rekisteri.accounts.models import ApiToken
from rekisteri.accounts.services import permissions_preload, token_authenticate
from rekisteri.api.errors import ApiError
from rekisteri.audit.actor import Actor


class ApiTokenAuth(HttpBearer):
    """A bearer token whose owner passes the NDA gate and holds the given permissions.

    Permissions are checked here, before the body is parsed, so a role that may not do
    something learns that (403) rather than what was wrong with its input (422).
    """

    def __init__(self, *permissions: str) -> None:
        super().__init__()
        self.permissions = permissions

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = token_authenticate(token)
        if api_token is None:
            return None  # ninja answers 401
        user = api_token.user
        # Section 11: a valid token is not enough; its owner must be active staff with a
        # signed confidentiality agreement in force, a superuser included.
        reason = personal_data_refusal(user)
        if reason is not None:
            raise ApiError(403, reason, code="no_personal_data_access")
        permissions_preload(user)
        for permission in self.permissions:
            if not user.has_perm(permission):
                raise ApiError(
                    403, f"Your role does not have the permission {permission}.", code="permission_denied"
                )
        request.user = user
        return api_token


def staff_with(*permissions: str) -> ApiTokenAuth:
    """The auth of an operation: a gated staff token holding every permission named."""
    return ApiTokenAuth(*permissions)


def api_user(request: HttpRequest):
    return request.auth.user


def api_actor(request: HttpRequest) -> Actor:
    return Actor.for_user(api_user(request), "api")


def has_perm(request: HttpRequest, permission: str) -> bool:
    return api_user(request).has_perm(permission)
