"""The second factor: the code page after the password, setting up an authenticator (QR code),
backup codes, and resetting a member's second factor (privacy officer, administrators)."""

from __future__ import annotations

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from rekisteri.security.models import TOTPDevice
from rekisteri.security.services.two_factor import (
    backup_codes_left,
    backup_codes_regenerate,
    confirmed_device,
    qr_svg,
    totp_enrol_confirm,
    totp_enrol_start,
    two_factor_required,
    two_factor_reset,
    two_factor_verify,
)
from rekisteri.web.forms import staff_name
from rekisteri.web.forms.two_factor import TwoFactorCodeForm, TwoFactorSetupForm
from rekisteri.web.views.common import ui_actor

ENROLLING = "rekisteri_two_factor_enrolling"


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


def _verified(request, device) -> None:
    # A session that gains a privilege gets a new key (ASVS V7.2.4).
    request.session.cycle_key()
    django_otp.login(request, device)


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """The code page after the password."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if request.user.is_verified():
        return redirect(_next(request))
    if confirmed_device(request.user) is None:
        return redirect(f"{_url('accounts:two_factor_setup')}?next={_next(request)}")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor_verify(
            actor=ui_actor(request), user=request.user, token=form.cleaned_data["token"]
        )
        if device is not None:
            _verified(request, device)
            return redirect(_next(request))
        form.add_error("token", _("The code is not correct, or it was used already. Wait for the next code."))
    return render(request, "accounts/two_factor.html", {"form": form, "next": _next(request)})


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Set up an authenticator app: the QR code, then the first code confirms it.

    A member who has one already may replace it only in a session that gave it: otherwise the
    password alone would let anyone swap in their own phone.
    """
    user = request.user
    if not user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if confirmed_device(user) is not None and not user.is_verified():
        return redirect(f"{_url('accounts:two_factor')}?next={_next(request)}")
    device = TOTPDevice.objects.filter(pk=request.session.get(ENROLLING), user=user, confirmed=False).first()
    if device is None:
        device = totp_enrol_start(actor=ui_actor(request), user=user)
        request.session[ENROLLING] = str(device.pk)
    form = TwoFactorSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp_enrol_confirm(
                actor=ui_actor(request), device=device, token=form.cleaned_data["token"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("token", message)
        else:
            request.session.pop(ENROLLING, None)
            _verified(request, device)
            return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _next(request)})
    secret = device.secret
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr": qr_svg(device),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "next": _next(request),
            "required": two_factor_required(user),
        },
    )


@never_cache
@require_http_methods(["GET"])
def security_settings(request):
    """The member's own second factor: whether it is set up, backup codes left."""
    device = confirmed_device(request.user)
    return render(
        request,
        "web/security_settings.html",
        {
            "device": device,
            "backup_codes_left": backup_codes_left(request.user) if device else 0,
            "required": two_factor_required(request.user),
        },
    )


@never_cache
@require_POST
def backup_codes_new(request):
    try:
        codes = backup_codes_regenerate(actor=ui_actor(request), user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("web:security_settings")
    return render(
        request, "accounts/backup_codes.html", {"codes": codes, "next": _url("web:security_settings")}
    )


@never_cache
@require_POST
@permission_required("accounts.reset_password", raise_exception=True)
def staff_two_factor_reset(request, user_id: int):
    """A member who lost their phone: their authenticator and backup codes go; they set up a new
    one at their next login."""
    member = get_object_or_404(get_user_model().objects.filter(staff_profile__isnull=False), pk=user_id)
    try:
        two_factor_reset(actor=ui_actor(request), user=member)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The second factor of %(name)s was reset; they set up a new one when they next log in.")
            % {"name": staff_name(member)},
        )
    return redirect("web:staff_list")
