"""URLs of the public pages. No login: PersonalDataGateMiddleware lets them through."""

from django.urls import path

from rekisteri.public.views import certificates, newsletter, notice, portal, training

# The self-service portal for data-subject requests (section 8), under /portal/.
portal_patterns = [
    path("", portal.portal_home, name="home"),
    path("verify/<str:token>/", portal.portal_verify_link, name="verify"),
    path("download/<str:token>/", portal.portal_download, name="download"),
    path("download/<str:token>/<str:fmt>/", portal.portal_download_file, name="download_file"),
    # The public certificate check: valid or not valid, nothing else.
    path("certificate/", certificates.certificate_check, name="certificate_check"),
    # A student's own training results and certificates, after a mailed single-use link.
    path("training/", training.results_request, name="training_results"),
    path("training/verify/<str:token>/", training.results_verify, name="training_results_verify"),
    path("training/s/<str:token>/", training.results_page, name="training_results_page"),
    path(
        "training/s/<str:token>/certificate/<uuid:certificate_id>/",
        training.results_certificate,
        name="training_results_certificate",
    ),
]

# The privacy notice (sections 1-12), mounted at the site's root (rekisteri/urls.py).
notice_patterns = [
    path("tietosuojaseloste/", notice.notice_fi, name="notice"),
    path("en/privacy-notice/", notice.notice_en, name="notice_en"),
]

# Newsletters (sections 3 and 9), under /newsletter/: sign-up, confirmation, unsubscribing,
# tracking and the preference centre.
newsletter_patterns = [
    path("confirm/<str:token>/", newsletter.confirm, name="confirm"),
    path("preferences/", newsletter.preferences, name="preferences"),
    path("preferences/open/<str:token>/", newsletter.preferences_open, name="preferences_open"),
    path("preferences/s/<str:session>/", newsletter.preferences_page, name="preferences_page"),
    path("u/<str:token>/", newsletter.unsubscribe, name="unsubscribe"),
    path("u/<str:token>/one-click/", newsletter.one_click, name="one_click"),
    path("o/<str:track>/", newsletter.open_pixel, name="open"),
    path("c/<str:track>/", newsletter.click, name="click"),
    path("<slug:slug>/", newsletter.subscribe, name="subscribe"),
]
