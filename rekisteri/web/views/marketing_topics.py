"""Staff pages of the marketing topics' consent wordings (Art. 7(1): the text a person was
shown, in Finnish and English, versioned; a version a consent names never changes)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from rekisteri.marketing.models import Topic
from rekisteri.marketing.selectors import wordings_of
from rekisteri.marketing.services.consents import wording_add
from rekisteri.web.forms.marketing import WordingForm
from rekisteri.web.views.common import ui_actor


@never_cache
@require_GET
@permission_required("marketing.view_wording", raise_exception=True)
def topic_list(request):
    topics = Topic.objects.annotate(newest=Max("wordings__version")).order_by("kind", "slug")
    return render(request, "marketing/topic_list.html", {"topics": topics})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("marketing.view_wording", raise_exception=True)
def topic_wordings(request, slug: str):
    """A topic's wording versions, newest first; a form adds the next version."""
    topic = get_object_or_404(Topic, slug=slug)
    form = WordingForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("marketing.add_wording"):
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                wording = wording_add(actor=ui_actor(request), topic=topic, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Version %(version)s saved.") % {"version": wording.version})
                return redirect("web:topic_wordings", topic.slug)
    return render(
        request,
        "marketing/topic_wordings.html",
        {"topic": topic, "wordings": wordings_of(topic), "form": form},
    )
