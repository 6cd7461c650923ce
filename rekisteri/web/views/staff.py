"""Staff passwords: each member changes their own; the privacy officer or an administrator
gives a member who forgot theirs a temporary one, shown once and changed at the next login."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from rekisteri.accounts.services import (
    sessions_end,
    staff_deactivate,
    staff_password_change,
    staff_password_reset,
)
from rekisteri.audit.services import Action, audit_record
from rekisteri.security.services.two_factor import enrolled_user_ids
from rekisteri.web.forms import StaffPasswordChangeForm, staff_name
from rekisteri.web.views.common import ui_actor

RESET = "accounts.reset_password"
DEACTIVATE = "accounts.change_staffprofile"


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def password_change(request):
    """Django's password change form (old password, the validators), saved by the service.

    The member stays logged in here (update_session_auth_hash); their other sessions end.
    """
    form = StaffPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            staff_password_change(
                actor=ui_actor(request),
                user=request.user,
                password=form.cleaned_data["new_password1"],
                keep_session_key=request.session.session_key,
            )
        except ValidationError as exc:
            form.add_error("new_password2", exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            return redirect("web:dashboard")
    profile = getattr(request.user, "staff_profile", None)
    return render(
        request,
        "web/password_change.html",
        {"form": form, "must_change": profile is not None and profile.must_change_password},
    )


def _staff_members():
    return (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__isnull=False)
        .select_related("staff_profile")
        .order_by("last_name", "first_name", "username")
    )


@never_cache
@require_http_methods(["GET"])
@permission_required(RESET, raise_exception=True)
def staff_list(request):
    members = list(_staff_members())
    enrolled = enrolled_user_ids([member.pk for member in members])
    actor = ui_actor(request)
    audit_record(
        actor=actor,
        action=Action.LIST,
        object_type="staff",
        object_ids=[member.pk for member in members],
        detail={"results": len(members)},
    )
    return render(
        request,
        "web/staff_list.html",
        {
            "members": [
                {"user": member, "name": staff_name(member), "two_factor": member.pk in enrolled}
                for member in members
            ]
        },
    )


@sensitive_post_parameters()
@never_cache
@require_POST
@permission_required(RESET, raise_exception=True)
def staff_password_reset_view(request, user_id: int):
    """Set a temporary password and show it once, on this response only (no mail: said in person)."""
    member = get_object_or_404(_staff_members(), pk=user_id)
    try:
        password = staff_password_reset(actor=ui_actor(request), user=member)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("web:staff_list")
    return render(
        request,
        "web/staff_password_reset.html",
        {"member": member, "name": staff_name(member), "password": password},
    )


@never_cache
@require_POST
@permission_required(RESET, raise_exception=True)
def staff_sessions_end_view(request, user_id: int):
    """The privacy officer (or an administrator) ends every session of a member at once."""
    member = get_object_or_404(_staff_members(), pk=user_id)
    ended = sessions_end(actor=ui_actor(request), user=member, reason="ended_by_staff")
    messages.success(
        request,
        ngettext(
            "%(count)s session of %(name)s was ended.",
            "%(count)s sessions of %(name)s were ended.",
            ended,
        )
        % {"count": ended, "name": staff_name(member)},
    )
    return redirect("web:staff_list")


@never_cache
@require_POST
@permission_required(DEACTIVATE, raise_exception=True)
def staff_deactivate_view(request, user_id: int):
    """An administrator takes away a member's access: no login, sessions and API tokens end."""
    member = get_object_or_404(_staff_members(), pk=user_id)
    try:
        staff_deactivate(actor=ui_actor(request), user=member)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("The account of %(name)s was deactivated.") % {"name": staff_name(member)}
        )
    return redirect("web:staff_list")
