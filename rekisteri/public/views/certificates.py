"""The public certificate check (section 1 of the issue): "valid" or "not valid" from a
verification code, and nothing else: no name, no course, no date. No login, not cached,
not indexed. Codes carry 80 random bits, so guessing one is hopeless without a limit."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from rekisteri.privacy.models import GroupCompany
from rekisteri.training.selectors import certificate_is_valid


@never_cache
@require_GET
def certificate_check(request):
    code = request.GET.get("code", "").strip()[:64]
    context = {
        "controller": GroupCompany.objects.filter(is_controller=True).first(),
        "code": code,
        "checked": bool(code),
        "valid": certificate_is_valid(code) if code else False,
    }
    response = render(request, "public/certificates/check.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
