"""URLs of the public portal (/portal/) and of the staff request register (/requests/)."""

from django.urls import path

from rekisteri.rights import portal, views

# Public: no login (PersonalDataGateMiddleware lets /portal/ through).
portal_patterns = [
    path("", portal.portal_home, name="home"),
    path("verify/<str:token>/", portal.portal_verify_link, name="verify"),
    path("download/<str:token>/", portal.portal_download, name="download"),
    path("download/<str:token>/<str:fmt>/", portal.portal_download_file, name="download_file"),
]

# Staff: the privacy officer's request register.
staff_patterns = [
    path("", views.request_list, name="request_list"),
    path("new/", views.request_new, name="request_new"),
    path("<uuid:request_id>/", views.request_detail, name="request_detail"),
    path("<uuid:request_id>/verify/", views.request_verify, name="request_verify"),
    path("<uuid:request_id>/assign/", views.request_assign, name="request_assign"),
    path("<uuid:request_id>/start/", views.request_start, name="request_start"),
    path("<uuid:request_id>/extend/", views.request_extend, name="request_extend"),
    path("<uuid:request_id>/refuse/", views.request_refuse, name="request_refuse"),
    path("<uuid:request_id>/fee/", views.request_fee, name="request_fee"),
    path("<uuid:request_id>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("<uuid:request_id>/fulfil/", views.request_fulfil, name="request_fulfil"),
    path("<uuid:request_id>/decide/", views.request_decide, name="request_decide"),
]
