from django.urls import path

from rekisteri.web.views import audit, home, organizations, people

app_name = "web"

urlpatterns = [
    path("", home.dashboard, name="dashboard"),
    path("search/", home.search, name="search"),
    path("people/new/", people.person_new, name="person_new"),
    path("people/<uuid:person_id>/", people.person_card, name="person_card"),
    path("people/<uuid:person_id>/edit/", people.person_edit, name="person_edit"),
    path("people/<uuid:person_id>/delete/", people.person_remove, name="person_delete"),
    path("people/<uuid:person_id>/interactions/new/", people.interaction_new, name="interaction_new"),
    path("people/<uuid:person_id>/bases/new/", people.basis_new, name="basis_new"),
    path("people/<uuid:person_id>/sources/new/", people.source_new, name="source_new"),
    path("people/<uuid:person_id>/restriction/lift/", people.restriction_lift, name="restriction_lift"),
    path("organizations/", organizations.organization_index, name="organizations"),
    path("organizations/new/", organizations.organization_new, name="organization_new"),
    path("organizations/suggest/", organizations.organization_suggest, name="organization_suggest"),
    path(
        "organizations/<int:organization_id>/", organizations.organization_detail, name="organization_detail"
    ),
    path(
        "organizations/<int:organization_id>/edit/", organizations.organization_edit, name="organization_edit"
    ),
    path(
        "organizations/<int:organization_id>/responsible/",
        organizations.organization_responsible,
        name="organization_responsible",
    ),
    path("audit/", audit.audit_index, name="audit"),
    path("audit/verify/", audit.audit_check, name="audit_verify"),
]
