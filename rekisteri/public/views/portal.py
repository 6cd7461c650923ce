"""The public self-service portal for data-subject requests (section 8 of the notice).

No staff login. Three rules shape every view here:
- The answer to a submission never depends on whether the address is in the register
  (same status, template and bytes), so the portal cannot be used to find out who is.
- A GET never changes anything: mail scanners open links, so verifying takes a POST.
- Nothing personal is logged: no addresses, no tokens (they sit in the URL only).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from rekisteri.accounts.client import client_address
from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.privacy.models import GroupCompany
from rekisteri.public.forms import PORTAL_RIGHTS, PortalRequestForm
from rekisteri.rights.authority import supervisory_authority
from rekisteri.rights.models import DataSubjectRequest, RequestType
from rekisteri.rights.services import LinkInvalid, PortalThrottled, link_use, portal_submit, portal_verify

# Formats a download link offers, by request type (Art. 15: JSON and readable HTML;
# Art. 20: JSON and CSV of what the person provided).
DOWNLOAD_FORMATS = {
    RequestType.ACCESS: ("json", "html"),
    RequestType.PORTABILITY: ("json", "csv"),
}
_CONTENT_TYPES = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}


def _portal_actor() -> Actor:
    return Actor.system("portal", origin="portal")


def _base_context() -> dict:
    return {
        "controller": GroupCompany.objects.filter(is_controller=True).first(),
        "authority": supervisory_authority(),
    }


def _page(request, template: str, context: dict | None = None, status: int = 200) -> HttpResponse:
    response = render(
        request, f"public/portal/{template}", {**_base_context(), **(context or {})}, status=status
    )
    # Links carry tokens: never cached (never_cache), never indexed, and the site-wide
    # Referrer-Policy "same-origin" keeps them from other sites. ("no-referrer" would make the
    # browser send "Origin: null" with the confirm POST, which CSRF protection refuses.)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _link_invalid(request) -> HttpResponse:
    # One page for unknown, used and expired links: which one it was is nobody's business.
    return _page(request, "link_invalid.html", status=410)


def _language() -> str:
    language = (get_language() or settings.LANGUAGE_CODE)[:2]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


@never_cache
@require_http_methods(["GET", "POST"])
def portal_home(request):
    """The rights of section 8 and the request form."""
    if request.method == "POST":
        form = PortalRequestForm(request.POST)
        if form.is_valid():
            try:
                portal_submit(
                    type=form.cleaned_data["type"],
                    email=form.cleaned_data["email"],
                    details=form.cleaned_data["details"],
                    language=_language(),
                    client=client_address(request),
                )
            except PortalThrottled:
                return _page(request, "throttled.html", status=429)
            except ValidationError as exc:
                form.add_rights_errors(exc)
            else:
                # The same page, whoever the address belongs to (or nobody).
                return _page(request, "sent.html")
    else:
        form = PortalRequestForm()
    return _page(request, "home.html", {"form": form, "portal_rights": PORTAL_RIGHTS})


@never_cache
@require_http_methods(["GET", "POST"])
def portal_verify_link(request, token: str):
    """GET shows a confirm button; only the POST verifies (link scanners only GET)."""
    if request.method == "GET":
        try:
            link_use(token=token, purpose="verify", consume=False)
        except LinkInvalid:
            return _link_invalid(request)
        return _page(request, "confirm.html")
    try:
        dsr = portal_verify(token=token)
    except (LinkInvalid, ValidationError):
        # ValidationError: the link was good but the request has been closed meanwhile.
        return _link_invalid(request)
    return _page(request, "verified.html", {"due_on": dsr.due_on, "reference": dsr.reference})


def _download_request(token: str) -> DataSubjectRequest:
    dsr = link_use(token=token, purpose="download", consume=False)
    if dsr.type not in DOWNLOAD_FORMATS:
        raise LinkInvalid()
    return dsr


@never_cache
@require_GET
def portal_download(request, token: str):
    """The download choices of a fulfilled access or portability request."""
    try:
        dsr = _download_request(token)
    except LinkInvalid:
        return _link_invalid(request)
    return _page(
        request,
        "download.html",
        {
            "request_type": dsr.type,
            "reference": dsr.reference,
            "formats": DOWNLOAD_FORMATS[dsr.type],
            "token": token,
        },
    )


@never_cache
@require_GET
def portal_download_file(request, token: str, fmt: str):
    """One format of the package, as a file. Every download is audited (ids only)."""
    try:
        dsr = _download_request(token)
    except LinkInvalid:
        return _link_invalid(request)
    if fmt not in DOWNLOAD_FORMATS[dsr.type]:
        return _link_invalid(request)
    content = _package_bytes(dsr, fmt)
    if content is None:
        # The person is no longer in the register (erased since) and no snapshot was kept.
        return _link_invalid(request)
    audit_record(
        actor=_portal_actor(),
        action="export",
        object_type="rights_request",
        object_ids=[dsr.pk],
        person_ids=[dsr.person_id] if dsr.person_id else [],
        purpose="rights_and_obligations",
        detail={"type": dsr.type, "format": fmt, "via": "download_link"},
    )
    response = HttpResponse(content, content_type=_CONTENT_TYPES[fmt])
    kind = "access" if dsr.type == RequestType.ACCESS else "portability"
    response["Content-Disposition"] = f'attachment; filename="{kind}-{dsr.reference}.{fmt}"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _package_bytes(dsr: DataSubjectRequest, fmt: str) -> bytes | None:
    """The answer as it was given at fulfilment (stored under the request's own key); None when
    there is none (the person was erased since, and the answer with them)."""
    from rekisteri.rights.fulfilment.packages import answer_content

    return answer_content(request=dsr, fmt=fmt)
