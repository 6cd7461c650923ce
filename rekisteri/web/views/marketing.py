"""Staff pages of consent and e-marketing: campaigns (compose, preview, test, send, pause,
resume, cancel, report) and a person's consents, role relevance and subscriptions."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.marketing.models import Campaign, Consent, RoleRelevance
from rekisteri.marketing.selectors import campaign_stats, marketing_overview
from rekisteri.marketing.services import campaigns as services
from rekisteri.marketing.services.consents import (
    consent_give,
    consent_withdraw,
    relevance_mark,
    relevance_remove,
)
from rekisteri.web.forms.marketing import (
    CampaignForm,
    ConsentForm,
    RelevanceForm,
    RelevanceRemoveForm,
    ScheduleForm,
)
from rekisteri.web.views.common import get_person_for_user, ui_actor

VIEW = "marketing.view_campaign"
ADD = "marketing.add_campaign"
SEND = "marketing.send_campaign"


@never_cache
@require_GET
@permission_required(VIEW, raise_exception=True)
def campaign_list(request):
    campaigns = Campaign.objects.select_related("topic").order_by("-created_at")[:100]
    rows = [{"campaign": c, "stats": campaign_stats(c)} for c in campaigns]
    return render(request, "marketing/campaign_list.html", {"rows": rows})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(ADD, raise_exception=True)
def campaign_new(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["scheduled_at"] and not request.user.has_perm(SEND):
                raise ValidationError(
                    {"scheduled_at": _("Scheduling a campaign needs the right to send it.")}
                )
            with transaction.atomic():
                campaign = services.campaign_create(
                    actor=ui_actor(request),
                    topic=data["topic"],
                    subject=data["subject"],
                    body_markdown=data["body_markdown"],
                    basis=data["basis"],
                    language=data["language"],
                )
                if data["scheduled_at"]:
                    services.campaign_schedule(
                        actor=ui_actor(request), campaign=campaign, at=data["scheduled_at"]
                    )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("web:campaign_detail", campaign.pk)
    return render(request, "marketing/campaign_new.html", {"form": form})


def _report(campaign: Campaign) -> dict:
    """Delivered, opened and clicked over time (aggregate counts), as an inline SVG chart and
    the same numbers as a table."""
    from rekisteri.marketing.selectors import campaign_report
    from rekisteri.web.charts import line_chart

    report = campaign_report(campaign)
    labels = {"delivered": _("Delivered"), "opened": _("Opened"), "clicked": _("Clicked")}
    fmt = "j.n. H:00" if report["bucket"] == "hour" else "j.n.Y"
    from django.utils.dateformat import format as date_format

    points = [
        {**row, "label": date_format(timezone.localtime(row["start"]), fmt)} for row in report["series"]
    ]
    chart = line_chart(
        [p["label"] for p in points],
        [(labels[key], [p[key] for p in points]) for key in ("delivered", "opened", "clicked")],
        title=_("Delivered, opened and clicked by hour")
        if report["bucket"] == "hour"
        else _("Delivered, opened and clicked by day"),
    )
    return {"report": points, "report_bucket": report["bucket"], "report_chart": chart}


def _reasons(counts: dict) -> list[tuple[str, int]]:
    from rekisteri.marketing.audience import REASON_LABELS

    return [(str(REASON_LABELS.get(code, code)), n) for code, n in counts.get("excluded", {}).items()]


@never_cache
@require_GET
@permission_required(VIEW, raise_exception=True)
def campaign_detail(request, campaign_id: int):
    campaign = get_object_or_404(Campaign.objects.select_related("topic"), pk=campaign_id)
    context = {"campaign": campaign, "stats": campaign_stats(campaign), **_report(campaign)}
    if campaign.status in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        initial = {"scheduled_at": timezone.localtime(campaign.scheduled_at)} if campaign.scheduled_at else {}
        context["schedule_form"] = ScheduleForm(initial=initial)
    if campaign.status in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        preview = services.campaign_preview(actor=ui_actor(request), campaign=campaign)
        context.update(preview=preview["message"], counts=preview["counts"])
        context["now_reasons"] = _reasons(preview["counts"])
    if campaign.audience_counts:
        context["sent_reasons"] = _reasons(campaign.audience_counts)
    stats = context["stats"]["deliveries"]
    delivered = stats["sent"] or 0
    context["rates"] = {
        "opened": round(100 * context["stats"]["opens"] / delivered, 1) if delivered else 0,
        "clicked": round(100 * context["stats"]["clicks"] / delivered, 1) if delivered else 0,
    }
    return render(request, "marketing/campaign_detail.html", context)


_ACTIONS = {
    "send": services.campaign_send,
    "pause": services.campaign_pause,
    "resume": services.campaign_resume,
    "cancel": services.campaign_cancel,
}


@require_POST
@permission_required(SEND, raise_exception=True)
def campaign_action(request, campaign_id: int, action: str):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    try:
        if action == "test":
            address = request.user.email
            services.campaign_test_send(
                actor=ui_actor(request), campaign=campaign, addresses=[address] if address else []
            )
            messages.success(request, _("A test message was queued to your own address."))
        elif action == "schedule":
            form = ScheduleForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors["scheduled_at"])
            services.campaign_schedule(
                actor=ui_actor(request), campaign=campaign, at=form.cleaned_data["scheduled_at"]
            )
            messages.success(request, _("The campaign is scheduled."))
        elif action in _ACTIONS:
            _ACTIONS[action](actor=ui_actor(request), campaign=campaign)
            messages.success(request, _("Done."))
        else:
            return redirect("web:campaign_detail", campaign.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("web:campaign_detail", campaign.pk)


# --- A person's marketing record ---------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("marketing.view_consent", raise_exception=True)
def person_marketing(request, person_id: UUID):
    """A person's consents (with history), role relevance, subscriptions, why their address
    is suppressed, and their newsletter engagement where they consented to tracking."""
    person = get_person_for_user(request, person_id, restricted_read=True)
    consent_form = ConsentForm(prefix="consent")
    relevance_form = RelevanceForm(prefix="relevance")
    remove_form = RelevanceRemoveForm(prefix="remove")
    if request.method == "POST":
        if not request.user.has_perm("marketing.add_consent"):
            return render(request, "403.html", status=403)
        actor = ui_actor(request)
        try:
            if "withdraw" in request.POST:
                consent = get_object_or_404(Consent, pk=request.POST["withdraw"], person=person)
                consent_withdraw(actor=actor, consent=consent, channel="staff")
                return redirect("web:person_marketing", person.pk)
            if "consent-topic" in request.POST:
                consent_form = ConsentForm(request.POST, prefix="consent")
                if consent_form.is_valid():
                    consent_give(
                        actor=actor,
                        person=person,
                        topic=consent_form.cleaned_data["topic"],
                        channel=consent_form.cleaned_data["channel"],
                        evidence={"form": "staff_person_marketing"},
                    )
                    return redirect("web:person_marketing", person.pk)
            if "remove-relevance" in request.POST:
                if not request.user.has_perm("marketing.change_rolerelevance"):
                    return render(request, "403.html", status=403)
                remove_form = RelevanceRemoveForm(request.POST, prefix="remove")
                if remove_form.is_valid():
                    relevance = get_object_or_404(
                        RoleRelevance, pk=remove_form.cleaned_data["relevance"], person=person
                    )
                    relevance_remove(
                        actor=actor, relevance=relevance, reason=remove_form.cleaned_data["reason"]
                    )
                    return redirect("web:person_marketing", person.pk)
            if "relevance-topic" in request.POST:
                if not request.user.has_perm("marketing.add_rolerelevance"):
                    return render(request, "403.html", status=403)
                relevance_form = RelevanceForm(request.POST, prefix="relevance")
                if relevance_form.is_valid():
                    relevance_mark(actor=actor, person=person, **relevance_form.cleaned_data)
                    return redirect("web:person_marketing", person.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    overview = marketing_overview(actor=ui_actor(request), person=person)
    engagement = []
    if request.user.has_perm("contacts.view_trackingevent"):
        from rekisteri.contacts.models import TrackingEvent

        # Individual opens and clicks exist only for persons who consented (section 9).
        engagement = list(
            TrackingEvent.objects.filter(person=person, kind__startswith="newsletter_").order_by(
                "-occurred_at"
            )[:50]
        )
    return render(
        request,
        "marketing/person_marketing.html",
        {
            "person": person,
            **overview,
            "engagement": engagement,
            "consent_form": consent_form,
            "relevance_form": relevance_form,
            "remove_form": remove_form,
        },
    )
