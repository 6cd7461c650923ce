from django.conf import settings
from django.urls import include, path
from django.views.i18n import set_language

from rekisteri.api.router import api
from rekisteri.rights.urls import portal_patterns, staff_patterns

urlpatterns = [
    path("", include("rekisteri.web.urls")),
    path("accounts/", include("rekisteri.accounts.urls")),
    # The public self-service portal for data-subject requests, and the staff register of them.
    path("portal/", include((portal_patterns, "portal"))),
    path("requests/", include((staff_patterns, "rights"))),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
]

if settings.ADMIN_ENABLED:
    from django.contrib import admin

    urlpatterns.append(path("admin/", admin.site.urls))
