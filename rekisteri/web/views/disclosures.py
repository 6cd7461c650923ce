"""A person's disclosure log (section 6) and the privacy officer's record of a disclosure to
an authority, with the statute or decision that requires it."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from rekisteri.privacy.authority_disclosure import PERMISSION, authority_disclosure_record
from rekisteri.privacy.disclosure import disclosures_of
from rekisteri.privacy.models import Recipient
from rekisteri.web.forms.disclosures import AuthorityDisclosureForm
from rekisteri.web.views.common import get_person_for_user, ui_actor

VIEW = "privacy.view_disclosure"


def _page(request, person, form: AuthorityDisclosureForm | None = None, status: int = 200):
    can_record = request.user.has_perm(PERMISSION)
    return render(
        request,
        "people/person_disclosures.html",
        {
            "person": person,
            "disclosures": disclosures_of(actor=ui_actor(request), person_id=person.pk),
            "form": (form or AuthorityDisclosureForm()) if can_record else None,
        },
        status=status,
    )


@never_cache
@require_GET
@permission_required(VIEW, raise_exception=True)
def person_disclosures(request, person_id: UUID):
    return _page(request, get_person_for_user(request, person_id, restricted_read=True))


@require_POST
@permission_required((VIEW, PERMISSION), raise_exception=True)
def authority_disclosure_new(request, person_id: UUID):
    person = get_person_for_user(request, person_id)
    form = AuthorityDisclosureForm(request.POST)
    if not form.is_valid():
        return _page(request, person, form, status=422)
    data = form.cleaned_data
    try:
        authority_disclosure_record(
            actor=ui_actor(request),
            person=person,
            recipient=Recipient.objects.filter(pk=data["recipient"]).first(),
            authority_name=data["authority_name"],
            legal_reference=data["legal_reference"],
            categories=data["categories"],
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _page(request, person, form, status=422)
    messages.success(request, _("The disclosure to the authority is in the person's disclosure log."))
    return redirect("web:person_disclosures", person_id=person.pk)
