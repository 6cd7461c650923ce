"""Pages of a merged person's old id lead to the survivor's card; a restricted person's
read-only pages ask for the legal reason of the read."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from rekisteri.web.forms import RestrictedReadForm
from rekisteri.web.views.common import PersonMerged, RestrictedReasonNeeded


class PersonMergedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RestrictedReasonNeeded):
            return _reason_needed(request, exception.person_id)
        if not isinstance(exception, PersonMerged):
            return None
        moved = exception.redirect
        messages.info(
            request,
            _("The record you opened was merged into this one on %(date)s.")
            % {"date": formats.date_format(timezone.localtime(moved.merged_at), "SHORT_DATE_FORMAT")},
        )
        return redirect("web:person_card", person_id=moved.survivor_id)


def _reason_needed(request, person_id):
    """Art. 18: 403 with the form that asks the legal reason and then opens this page (an htmx
    fragment points to the card instead: the form needs a page of its own)."""
    from rekisteri.web.views.people import restricted_read_form

    if request.headers.get("HX-Request"):
        context = {"person_id": person_id}
        return render(request, "people/partials/reason_needed.html", context, status=403)
    return restricted_read_form(request, person_id, RestrictedReadForm(), status=403, next_page=request.path)
