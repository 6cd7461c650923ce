"""The person card and the forms that change a person and what is recorded about them."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rekisteri.accounts.idempotency import submission_complete
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.selectors import interaction_timeline, timeline_entries
from rekisteri.contacts.services import interaction_create
from rekisteri.notice.first_communication import information_owed
from rekisteri.notice.informing import source_statuses
from rekisteri.organizations.models import Organization
from rekisteri.people.deletion import OVERRIDE_PERMISSION, deletion_obstacles
from rekisteri.people.selectors import person_view, persons_shown, restricted_read_possible
from rekisteri.people.services import DuplicatePerson, person_create, person_delete, person_update
from rekisteri.people.visibility import INTERACTIONS, TRACKING, shown_groups, view_rule
from rekisteri.privacy.bases import bases_overview
from rekisteri.privacy.services import basis_set, source_add
from rekisteri.web.forms import (
    BasisForm,
    InteractionForm,
    PersonDeleteForm,
    PersonForm,
    RestrictedReadForm,
    RestrictionLiftForm,
    SourceForm,
    organization_label,
)
from rekisteri.web.restricted_grants import PARAMETER, grant_issue, grant_reason
from rekisteri.web.views.common import (
    REASON_READ_PAGES,
    PageInfo,
    form_claim,
    get_person_for_user,
    page_number,
    ui_actor,
)

BASIS_PERMISSIONS = ("privacy.add_processingbasis", "privacy.change_processingbasis")


def _card_url(person, anchor: str = "") -> str:
    url = reverse("web:person_card", args=[person.pk])
    return f"{url}#{anchor}" if anchor else url


def _person_for_card(request, person_id: UUID):
    """The person of the card or one of its fragments, and the grant token its links carry
    ("" when none is needed). A restricted person (Art. 18) opens only with a grant in force
    (restricted_grants), each read audited with its reason; anyone else not visible is 404."""
    person = get_person_for_user(request, person_id, restricted_read=True)
    # Opened with a grant: its links carry it on (the privacy officer's need none).
    granted = grant_reason(request, person_id) if person.restricted_at is not None else None
    return person, granted[0] if granted is not None else ""


@never_cache
@require_http_methods(["GET"])
@permission_required("people.view_person", raise_exception=True)
def person_card(request, person_id: UUID):
    """The person as the user's role may see them (people.visibility): hidden field groups
    are not in the context at all, and the interactions are those of the role's kinds.

    A restricted person (Art. 18) whom the role would see but for the restriction is 403
    with the form that asks the legal reason (person_card_restricted), unless the link
    carries the grant that reason gave; anyone else not visible is 404."""
    person, grant = _person_for_card(request, person_id)
    return render(request, "people/person_card.html", _card_context(request, person, grant))


@never_cache
@require_http_methods(["GET"])
@permission_required("people.view_person", raise_exception=True)
def person_timeline(request, person_id: UUID):
    """The card's contact history, one page, as an htmx fragment (the card's own paging
    links work without it). A restricted person's needs the card's grant."""
    person, grant = _person_for_card(request, person_id)  # the fragment's reason asked by the middleware
    context = _card_context(request, person, grant, timeline_only=True)
    if context.get("interactions") is None:
        raise Http404  # the role sees no contact history
    return render(request, "people/partials/timeline.html", context)


def restricted_read_form(request, person_id: UUID, form, *, status: int, next_page: str = ""):
    """The form asking the legal reason for reading a restricted person; `next_page` is the
    page of the person to open with it (the card when none)."""
    context = {"form": form, "person_id": person_id, "next": _reason_target(person_id, next_page)}
    return render(request, "people/restricted_read.html", context, status=status)


def _reason_target(person_id: UUID, path: str) -> str:
    """`path` when it is one of this person's read-only pages, else the card: the reason
    form's `next` comes from the browser and leads nowhere else."""
    pages = [reverse(name, args=[person_id]) for name in REASON_READ_PAGES]
    return path if path in pages else pages[0]


@never_cache
@require_http_methods(["POST"])
@permission_required("people.view_person", raise_exception=True)
def person_card_restricted(request, person_id: UUID):
    """Art. 18: a restricted person's card (or their marketing record or disclosures, `next`),
    read with a stated legal reason. The reason is kept as a grant for the person's read-only
    pages (restricted_grants) and the page opens with it; each read's audit event keeps the
    reason. Only for a person the role would see but for the restriction."""
    actor = ui_actor(request)
    if not restricted_read_possible(actor=actor, person_id=person_id):
        raise Http404
    form = RestrictedReadForm(request.POST)
    target = _reason_target(person_id, request.POST.get("next", ""))
    if not form.is_valid():
        return restricted_read_form(request, person_id, form, status=422, next_page=target)
    token = grant_issue(request, person_id, form.cleaned_data["reason"])
    # See other: the page is read (and audited) by the GET, so a reload repeats nothing.
    return HttpResponseRedirect(f"{target}?{urlencode({PARAMETER: token})}", status=303)


def _card_url_id(person_id) -> str:
    return reverse("web:person_card", args=[person_id])


def _card_context(request, person, grant: str = "", *, timeline_only: bool = False) -> dict:
    user = request.user
    rule = view_rule(user)
    groups = shown_groups(user, rule)
    context = {"person": person_view(person, groups, detail=True), "grant": grant}
    if INTERACTIONS in groups:
        timeline = interaction_timeline(person.pk, page=page_number(request), kinds=rule.kind_filter)
        context["interactions"] = timeline_entries(timeline.interactions, texts=rule.interaction_texts)
        context["history_texts"] = rule.interaction_texts
        if rule.kind_filter is not None:
            context["history_kinds"] = [
                label for value, label in Interaction.Kind.choices if value in rule.kind_filter
            ]
        context["timeline_page"] = PageInfo(
            number=timeline.number, per_page=timeline.per_page, total=timeline.total
        )
        # No script: the paging links lead to the card; htmx swaps the fragment in place.
        context["base_url"] = _card_url_id(person.pk)
        context["hx_url"] = reverse("web:person_timeline", args=[person.pk])
    if timeline_only:
        return context
    view = context["person"]
    if view.bases is not None:
        # Section 3: ended bases apart from current ones, and purposes left without one.
        context["overview"] = bases_overview(view.bases)
        context["missing_basis"] = not context["overview"].any_in_force
    if view.sources is not None:
        context["missing_source"] = not view.sources
        # Art. 14: per source, whether and when the person was told of it, or why not needed.
        context["source_statuses"] = source_statuses(person_id=person.pk, sources=view.sources)
        context["information_owed"] = any(s.state in ("due", "overdue") for s in context["source_statuses"])
    if TRACKING in groups and user.has_perm("marketing.view_campaign"):
        from rekisteri.marketing.selectors import engagement_of

        # Section 9: newsletter engagement, individual only where the person consented; for
        # those who work with marketing data (the marketing role, the privacy officer).
        context["engagement"] = engagement_of(actor=ui_actor(request), person=person)
    if user.has_perm("contacts.add_interaction"):
        # Distinct id prefixes: three forms share one page and field names such as "kind".
        context["interaction_form"] = InteractionForm(auto_id="interaction_%s", kinds=rule.interaction_kinds)
        # Art. 14(3)(b): whoever is about to contact the person sees that the information is
        # still owed, also a role that does not see the sources themselves.
        context["contact_information_owed"] = information_owed(person.pk)
    if user.has_perms(BASIS_PERMISSIONS):
        context["basis_form"] = BasisForm(auto_id="basis_%s")
    if user.has_perm("privacy.add_datasource"):
        context["source_form"] = SourceForm(auto_id="source_%s")
    return context


def _person_service_data(form: PersonForm) -> dict:
    data = form.cleaned("allow_duplicate")
    data["categories"] = list(data.get("categories") or [])
    return data


def _duplicate_warning(request, form: PersonForm, exc: DuplicatePerson) -> list:
    """Put the duplicate's errors on the form and load the persons to offer (audited)."""
    form.add_service_errors(exc)
    actor = ui_actor(request)
    shown = persons_shown(
        actor=actor, person_ids=exc.existing_ids, reason="duplicate_warning", purpose=actor.purpose
    )
    # A duplicate the role may not see (restricted, Art. 18) is named by nothing but its being.
    hidden = len({str(pid) for pid in exc.existing_ids}) - len(shown)
    return [*shown, *[HIDDEN_DUPLICATE] * hidden]


HIDDEN_DUPLICATE = {"hidden": True}


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("people.add_person", raise_exception=True)
def person_new(request):
    duplicates = []
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            actor = ui_actor(request)
            try:
                with transaction.atomic():
                    claim = form_claim(request, form, "ui:person_new")
                    if claim is not None and claim.replayed:
                        person_id = claim.result_id
                    else:
                        person_id = person_create(
                            actor=actor,
                            allow_duplicate=form.cleaned_data["allow_duplicate"],
                            **_person_service_data(form),
                        ).pk
                        if claim is not None:
                            submission_complete(claim, person_id)
            except DuplicatePerson as exc:
                duplicates = _duplicate_warning(request, form, exc)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if claim is not None and claim.replayed:
                    messages.info(request, _("This form was already sent: the person saved then is shown."))
                else:
                    messages.success(request, _("The person was saved."))
                return redirect("web:person_card", person_id=person_id)
    else:
        initial = {}
        organization_id = request.GET.get("organization", "")
        if organization_id.isdigit():
            organization = Organization.objects.filter(pk=int(organization_id)).first()
            if organization is not None:
                initial["organization"] = organization_label(organization)
        form = PersonForm(initial=initial)
    return render(
        request, "people/person_form.html", {"form": form, "person": None, "duplicates": duplicates}
    )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("people.change_person", raise_exception=True)
def person_edit(request, person_id: UUID):
    person = get_person_for_user(request, person_id)
    duplicates = []
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            try:
                person_update(
                    actor=ui_actor(request),
                    person=person,
                    allow_duplicate=form.cleaned_data["allow_duplicate"],
                    **_person_service_data(form),
                )
            except DuplicatePerson as exc:
                duplicates = _duplicate_warning(request, form, exc)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The changes were saved."))
                return redirect(_card_url(person))
    else:
        form = PersonForm(
            initial={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
                "phone": person.phone,
                "organization": organization_label(person.organization) if person.organization else "",
                "title": person.title,
                "categories": [c.category for c in person.categories.all()],
                "self_given_info": person.self_given_info,
            }
        )
    return render(
        request, "people/person_form.html", {"form": form, "person": person, "duplicates": duplicates}
    )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("people.delete_person", raise_exception=True)
def person_remove(request, person_id: UUID):
    person = get_person_for_user(request, person_id)
    if request.method == "POST":
        form = PersonDeleteForm(request.POST)
        if form.is_valid():
            try:
                person_delete(
                    actor=ui_actor(request),
                    person=person,
                    reason=form.cleaned_data["reason"],
                    override_reason=form.cleaned_data["override_reason"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The person and all their data were deleted."))
                return redirect("web:dashboard")
    else:
        form = PersonDeleteForm()
    context = {
        "form": form,
        "person": person,
        "obstacles": deletion_obstacles(person.pk),
        "may_override": request.user.has_perm(OVERRIDE_PERMISSION),
    }
    return render(request, "people/person_delete.html", context)


def _first_communication_message(request, interaction) -> None:
    """Art. 14(3)(b): tell the staff member who logged the contact what it meant for the
    information the person was still owed (rekisteri.notice.first_communication)."""
    outcome = getattr(interaction, "source_information", None)
    if outcome == "sent":
        messages.info(
            request,
            _(
                "The person had not yet been told where their data came from (GDPR Art. 14): "
                "the information was mailed to them now."
            ),
        )
    elif outcome == "owed" and request.user.has_perm("notice.add_sourceinformation"):
        messages.warning(
            request,
            _(
                "The person has not yet been told where their data came from (GDPR Art. 14) and has "
                "no e-mail address: tell them orally or by post and record it under Sources. It is "
                "due today."
            ),
        )
    elif outcome == "owed":
        # Only the privacy officer records information given by other means.
        messages.warning(
            request,
            _(
                "The person has not yet been told where their data came from (GDPR Art. 14) and has "
                "no e-mail address: tell them orally or by post and let the privacy officer know, who "
                "records it. It is due today."
            ),
        )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("contacts.add_interaction", raise_exception=True)
def interaction_new(request, person_id: UUID):
    person = get_person_for_user(request, person_id)
    # A role records only the kinds it may read back (people.visibility).
    kinds = view_rule(request.user).interaction_kinds
    if request.method == "POST":
        form = InteractionForm(request.POST, kinds=kinds)
        if form.is_valid():
            try:
                with transaction.atomic():
                    claim = form_claim(request, form, "ui:interaction_new")
                    if claim is None or not claim.replayed:
                        interaction = interaction_create(
                            actor=ui_actor(request), person=person, **form.cleaned()
                        )
                        if claim is not None:
                            submission_complete(claim, interaction.pk)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if claim is not None and claim.replayed:
                    messages.info(
                        request, _("This form was already sent: the interaction is in the history once.")
                    )
                else:
                    messages.success(request, _("The interaction was added to the contact history."))
                    _first_communication_message(request, interaction)
                return redirect(_card_url(person, "history"))
    else:
        form = InteractionForm(kinds=kinds)
    return render(request, "contacts/interaction_form.html", {"form": form, "person": person})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(BASIS_PERMISSIONS, raise_exception=True)
def basis_new(request, person_id: UUID):
    """Record or replace the legal basis of one purpose (section 3 of the notice)."""
    person = get_person_for_user(request, person_id)
    if request.method == "POST":
        form = BasisForm(request.POST)
        if form.is_valid():
            try:
                basis_set(actor=ui_actor(request), person=person, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The legal basis was saved."))
                return redirect(_card_url(person, "bases"))
    else:
        form = BasisForm(initial={"purpose": request.GET.get("purpose", "")})
    return render(request, "people/basis_form.html", {"form": form, "person": person})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("privacy.add_datasource", raise_exception=True)
def source_new(request, person_id: UUID):
    """Record where the person's data came from (section 5 of the notice)."""
    person = get_person_for_user(request, person_id)
    if request.method == "POST":
        form = SourceForm(request.POST)
        if form.is_valid():
            try:
                source_add(actor=ui_actor(request), person=person, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The source was saved."))
                return redirect(_card_url(person, "sources"))
    else:
        form = SourceForm()
    return render(request, "people/source_form.html", {"form": form, "person": person})


@never_cache
@require_http_methods(["POST"])
@permission_required("rights.change_datasubjectrequest", raise_exception=True)
def restriction_lift(request, person_id: UUID):
    """The privacy officer lifts a restriction of processing, with reasons (Art. 18(3))."""
    from rekisteri.rights.fulfilment import restriction_lift as lift

    person = get_person_for_user(request, person_id)
    form = RestrictionLiftForm(request.POST)
    if form.is_valid():
        try:
            lift(actor=ui_actor(request), person=person, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("The restriction was lifted and the person will be told the reasons.")
            )
    else:
        messages.error(request, _("Give the reasons for lifting the restriction."))
    return redirect(_card_url(person))
