"""Public newsletter pages (sections 3 and 8): sign-up with double opt-in, confirmation,
unsubscribing (RFC 8058 one-click and the page of the visible link), read tracking and the
preference centre.

As in the portal: a GET never changes anything (mail scanners open links), answers never
tell whether an address is in the register, and nothing personal is logged.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.marketing.models import Topic
from rekisteri.marketing.services.lists import SignupInvalid, signup_confirm, signup_pending, signup_request
from rekisteri.privacy.models import GroupCompany
from rekisteri.public.forms import SubscribeForm


def _language() -> str:
    language = (get_language() or settings.LANGUAGE_CODE)[:2]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _client(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def page(request, template: str, context: dict | None = None, status: int = 200) -> HttpResponse:
    context = {"controller": GroupCompany.objects.filter(is_controller=True).first(), **(context or {})}
    response = render(request, f"public/newsletter/{template}", context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def link_invalid(request) -> HttpResponse:
    return page(request, "link_invalid.html", status=410)


@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request, slug: str):
    """The public sign-up form of one list; the list starts only once the link is confirmed."""
    topic = get_object_or_404(Topic, slug=slug, kind=Topic.Kind.LIST)
    form = SubscribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signup_request(
                topic=topic,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                language=_language(),
                client=_client(request),
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            return page(request, "check_mail.html", {"topic": topic})
    wording = topic.wordings.order_by("-version").first()
    return page(request, "subscribe.html", {"form": form, "topic": topic, "wording": wording})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """GET shows the confirm button; only the POST subscribes."""
    if request.method == "GET":
        try:
            signup = signup_pending(token)
        except SignupInvalid:
            return link_invalid(request)
        return page(request, "confirm.html", {"topic": signup.topic})
    try:
        topic = signup_confirm(token=token, client=_client(request))
    except SignupInvalid:
        return link_invalid(request)
    return page(request, "confirmed.html", {"topic": topic})


# --- Leaving: RFC 8058 one-click and the page of the visible link ---------------------------


@csrf_exempt  # RFC 8058: the mail client POSTs with no cookie, session or CSRF token
@require_POST
def one_click(request, token: str):
    """RFC 8058 one-click unsubscribe: POST only, no login, unsubscribes at once."""
    from rekisteri.marketing.services.tracking import unsubscribe_by_token

    if not unsubscribe_by_token(token=token):
        return HttpResponse("Unknown link.\n", status=404, content_type="text/plain; charset=utf-8")
    return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """The footer's link: GET shows the choices (a scanner's GET changes nothing); POST
    leaves this list, every list, or stops all marketing (an objection, section 8)."""
    from rekisteri.marketing.services.lists import stop_all_marketing, unsubscribe_all
    from rekisteri.marketing.services.tracking import PORTAL_ACTOR, delivery_for_token, unsubscribe_by_token

    delivery = delivery_for_token(token)
    if delivery is None:
        return link_invalid(request)
    context = {"topic": delivery.campaign.topic, "token": token}
    if request.method == "GET":
        return page(request, "unsubscribe.html", context)
    choice = request.POST.get("choice", "list")
    if choice not in ("list", "all", "stop"):
        return page(request, "unsubscribe.html", context, status=400)
    if delivery.person_id is not None:
        person = delivery.person
        if choice == "list":
            unsubscribe_by_token(token=token)
        elif choice == "all":
            unsubscribe_all(actor=PORTAL_ACTOR, person=person, channel="unsubscribe")
        else:
            stop_all_marketing(actor=PORTAL_ACTOR, person=person, channel="unsubscribe")
    return page(request, "unsubscribed.html", {**context, "choice": choice})


# --- Read tracking (section 9) ----------------------------------------------------------------

# A transparent 1x1 GIF.
_PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


@never_cache
@require_GET
def open_pixel(request, track: str):
    from rekisteri.marketing.services.tracking import read_record

    read_record(track=track, kind="open")
    return HttpResponse(_PIXEL, content_type="image/gif")


@never_cache
@require_GET
def click(request, track: str):
    """A signed redirect: only the links of a campaign, so no open redirect."""
    from rekisteri.marketing.compose import click_signature
    from rekisteri.marketing.services.tracking import delivery_for_token, read_record

    url, signature = request.GET.get("u", ""), request.GET.get("s", "")
    if track.startswith("c") and track[1:].isdigit():
        campaign_id = int(track[1:])
    else:
        delivery = delivery_for_token(track)
        if delivery is None:
            raise Http404()
        campaign_id = delivery.campaign_id
    if not url.startswith(("https://", "http://")) or not hmac.compare_digest(
        signature, click_signature(campaign_id, url)
    ):
        raise Http404()
    read_record(track=track, kind="click")
    return HttpResponseRedirect(url)


# --- Preference centre ----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request):
    """Ask for a link to one's preferences; the same answer whoever owns the address."""
    from rekisteri.marketing.services.preferences import preference_link_request
    from rekisteri.public.forms import PreferenceLinkForm

    form = PreferenceLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            preference_link_request(email=form.cleaned_data["email"], language=_language())
        except ValidationError as exc:
            form.add_error("email", exc.messages)
        else:
            return page(request, "preferences_sent.html")
    return page(request, "preferences_ask.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def preferences_open(request, token: str):
    """GET shows a button (link scanners only GET); the POST uses the link once."""
    from rekisteri.marketing.services.preferences import preference_link_check, preference_link_use

    try:
        if request.method == "GET":
            preference_link_check(token)
            return page(request, "preferences_open.html")
        session = preference_link_use(token)
    except SignupInvalid:
        return link_invalid(request)
    return HttpResponseRedirect(reverse("newsletter:preferences_page", args=[session]))


@never_cache
@require_http_methods(["GET", "POST"])
def preferences_page(request, session: str):
    """One page: the person's lists, consents and tracking choice, each changeable."""
    from rekisteri.marketing.services.preferences import preference_session, preferences_of, preferences_save

    try:
        link, person = preference_session(session)
    except SignupInvalid:
        return link_invalid(request)
    if person is None:
        return page(request, "preferences_page.html", {"person": None})
    saved = False
    if request.method == "POST":
        from rekisteri.people.restriction import MarketingObjected, ProcessingRestricted

        try:
            preferences_save(
                person=person,
                lists=set(request.POST.getlist("list")),
                tracking=request.POST.get("tracking") == "on",
                client=_client(request),
            )
            saved = True
        except (MarketingObjected, ProcessingRestricted):
            return page(request, "preferences_page.html", {"person": person, "blocked": True})
    return page(
        request, "preferences_page.html", {"person": person, "saved": saved, **preferences_of(person)}
    )
