"""A student's own training results and certificates in the portal (training.portal).

The same rules as the rest of the portal: the answer to a submission does not depend on
whether the address is in the register, a GET changes nothing (confirming takes a POST),
and tokens stay in URLs, never in logs.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from rekisteri.accounts.client import client_address
from rekisteri.public.forms import TrainingResultsForm
from rekisteri.public.views.portal import _language, _link_invalid, _page
from rekisteri.rights.services import PortalThrottled
from rekisteri.training.documents import certificate_document
from rekisteri.training.portal import (
    PortalLinkInvalid,
    own_certificate,
    own_results,
    portal_actor,
    results_link_check,
    results_link_confirm,
    results_link_request,
    results_person,
)


@never_cache
@require_http_methods(["GET", "POST"])
def results_request(request):
    """The form: an address, to which the link goes."""
    form = TrainingResultsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            results_link_request(
                email=form.cleaned_data["email"], language=_language(), client=client_address(request)
            )
        except PortalThrottled:
            return _page(request, "throttled.html", status=429)
        except ValidationError:
            form.add_error("email", form.fields["email"].error_messages["invalid"])
        else:
            # The same page, whoever the address belongs to (or nobody).
            return _page(request, "training_sent.html")
    return _page(request, "training_request.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def results_verify(request, token: str):
    """GET shows a confirm button; only the POST opens the results (link scanners only GET)."""
    try:
        if request.method == "GET":
            results_link_check(token=token)
            return _page(request, "training_confirm.html")
        session = results_link_confirm(token=token)
    except PortalLinkInvalid:
        return _link_invalid(request)
    return redirect("portal:training_results_page", token=session)


@never_cache
@require_GET
def results_page(request, token: str):
    """The student's own enrollments, grades, completion dates and certificates."""
    try:
        person = results_person(token=token)
    except PortalLinkInvalid:
        return _link_invalid(request)
    return _page(request, "training_results.html", {"rows": own_results(person=person), "token": token})


@never_cache
@require_GET
def results_certificate(request, token: str, certificate_id):
    """One of the student's own certificates as PDF; anyone else's does not exist here."""
    try:
        person = results_person(token=token)
    except PortalLinkInvalid:
        return _link_invalid(request)
    certificate = own_certificate(person=person, certificate_id=certificate_id)
    if certificate is None:
        raise Http404
    response = HttpResponse(
        certificate_document(actor=portal_actor(), certificate=certificate), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{certificate.number}.pdf"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
