from django.conf import settings
from django.urls import include, path
from django.views.i18n import set_language

from rekisteri.api_v1 import api
from rekisteri.public.urls import newsletter_patterns, notice_patterns, portal_patterns
from rekisteri.web.urls import account_patterns, request_patterns

urlpatterns = [
    # First: Django tries the patterns in turn, and the staff UI's hundred would come before
    # every API request (0.65 ms of a create's 6.5 ms of CPU; benchmarks/README.md).
    path("api/v1/", api.urls),
    path("", include("rekisteri.web.urls")),
    path("accounts/", include((account_patterns, "accounts"))),
    # The public self-service portal for data-subject requests, and the staff register of them.
    path("portal/", include((portal_patterns, "portal"))),
    # The privacy notice, public: /tietosuojaseloste/ and /en/privacy-notice/.
    *notice_patterns,
    path("requests/", include((request_patterns, "rights"))),
    path("newsletter/", include((newsletter_patterns, "newsletter"))),
    path("i18n/setlang/", set_language, name="set_language"),
]

if settings.ADMIN_ENABLED:
    from django.contrib import admin

    urlpatterns.append(path("admin/", admin.site.urls))
