"""The REST API at /api/v1/, assembled: the routers of the apps and the answers to the
register's own exceptions. Beside the URLs, so the api package stays a toolkit (errors,
pagination, schemas) that no app's router reaches back through."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from rekisteri.accounts.api_auth import ApiTokenAuth
from rekisteri.api.errors import (
    django_validation_errors,
    error_response,
    field_errors_detail,
    install_exception_handlers,
)
from rekisteri.api.site import RekisteriAPI
from rekisteri.contacts.api import router as contacts_router
from rekisteri.encryption.middleware import request_actor
from rekisteri.encryption.services import tampering_report
from rekisteri.keystore.services import KeyDestroyed
from rekisteri.lib.crypto import TamperedCiphertext
from rekisteri.marketing.api import campaigns_router, lists_router, topics_router
from rekisteri.marketing.api import persons_router as consents_router
from rekisteri.notice.api import router as source_information_router
from rekisteri.organizations.api import router as organizations_router
from rekisteri.people.api import router as people_router
from rekisteri.people.deletion import DeletionRefused
from rekisteri.people.restriction import ProcessingRestricted
from rekisteri.privacy.api import router as erasures_router
from rekisteri.rights.api import router as rights_router
from rekisteri.training.api import router as training_router

logger = logging.getLogger("rekisteri.api")


def _on_tampered(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("Tampering detected: %s", exc)  # table, column and row id only
    tampering_report(actor=request_actor(request, origin="api"), exc=exc)
    return error_response(500, str(exc), "tampered")


def _on_restricted(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Art. 18: not bad input, a state of the person that refuses the action until lifted.
    errors = django_validation_errors(exc)
    return error_response(409, field_errors_detail(errors), "restricted", errors)


def _on_obligation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Art. 17(3): the person's state refuses the deletion, not the input.
    errors = django_validation_errors(exc)
    return error_response(409, field_errors_detail(errors), "obligation_to_keep", errors)


def _on_key_destroyed(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(410, "This person has been erased: their data can no longer be read.", "erased")


api = RekisteriAPI(
    title="rekisteri API",
    version="1",
    description=(
        "The customer and student register. Authenticate with `Authorization: Bearer <token>` "
        "(create one with `rekisteri token create --user NAME`). Only staff with a signed "
        "confidentiality agreement may use it; every read and write is audited. Every error "
        'has the shape {"detail": ..., "errors": [{"field": ..., "message": ...}], "code": ...}. '
        "A 422 with code validation_error means the input does not match this document; "
        "rule_violation means it does, but a rule of the register refuses it (an id that names "
        "nothing, a combination not allowed). A path whose id is malformed names nothing: 404."
    ),
    urls_namespace="api",
    auth=ApiTokenAuth(),
)
install_exception_handlers(api)
# After the generic handlers: ninja picks the most specific class, whatever the order.
api.add_exception_handler(TamperedCiphertext, _on_tampered)
api.add_exception_handler(KeyDestroyed, _on_key_destroyed)
api.add_exception_handler(ProcessingRestricted, _on_restricted)
api.add_exception_handler(DeletionRefused, _on_obligation)
api.add_router("/organizations", organizations_router)
api.add_router("/persons", people_router)
api.add_router("/persons", contacts_router)
api.add_router("/persons", consents_router)
api.add_router("/lists", lists_router)
api.add_router("/topics", topics_router)
api.add_router("/campaigns", campaigns_router)
api.add_router("/requests", rights_router)
# Art. 14: who is owed the information on the source of their data, and telling them.
api.add_router("/source-information", source_information_router)
api.add_router("/erasures", erasures_router)
# /courses, /course-instances, /enrollments, /organizations/{id}/training-report, /persons/{id}/disclosures
api.add_router("", training_router)
