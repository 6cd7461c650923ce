"""Pages of a merged person's old id lead to the survivor's card."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from rekisteri.web.views.common import PersonMerged


class PersonMergedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, PersonMerged):
            return None
        moved = exception.redirect
        messages.info(
            request,
            _("The record you opened was merged into this one on %(date)s.")
            % {"date": formats.date_format(timezone.localtime(moved.merged_at), "SHORT_DATE_FORMAT")},
        )
        return redirect("web:person_card", person_id=moved.survivor_id)
