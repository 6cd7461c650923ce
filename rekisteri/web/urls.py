from django.contrib.auth import views as auth_views
from django.urls import path

from rekisteri.web.views import (
    audit,
    configuration,
    disclosures,
    governance,
    home,
    informing,
    login,
    mail,
    marketing,
    marketing_topics,
    merge,
    notice,
    organizations,
    people,
    person_list,
    requests,
    retention,
    staff,
    training,
    two_factor,
)

app_name = "web"

# Staff: the privacy officer's request register.
# Mounted at /accounts/ under the "accounts" namespace (rekisteri/urls.py).
account_patterns = [
    path("login/", login.StaffLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", two_factor.two_factor, name="two_factor"),
    path("two-factor/setup/", two_factor.two_factor_setup, name="two_factor_setup"),
]

# Mounted at /requests/ under the "rights" namespace (rekisteri/urls.py).
request_patterns = [
    path("", requests.request_list, name="request_list"),
    path("new/", requests.request_new, name="request_new"),
    path("<uuid:request_id>/", requests.request_detail, name="request_detail"),
    path("<uuid:request_id>/verify/", requests.request_verify, name="request_verify"),
    path("<uuid:request_id>/assign/", requests.request_assign, name="request_assign"),
    path("<uuid:request_id>/start/", requests.request_start, name="request_start"),
    path("<uuid:request_id>/extend/", requests.request_extend, name="request_extend"),
    path("<uuid:request_id>/refuse/", requests.request_refuse, name="request_refuse"),
    path("<uuid:request_id>/fee/", requests.request_fee, name="request_fee"),
    path("<uuid:request_id>/withdraw/", requests.request_withdraw, name="request_withdraw"),
    path("<uuid:request_id>/fulfil/", requests.request_fulfil, name="request_fulfil"),
    path("<uuid:request_id>/decide/", requests.request_decide, name="request_decide"),
]


urlpatterns = [
    path("", home.dashboard, name="dashboard"),
    # Consent and e-marketing (sections 2, 3 and 9).
    path("marketing/", marketing.campaign_list, name="campaigns"),
    path("marketing/new/", marketing.campaign_new, name="campaign_new"),
    path("marketing/topics/", marketing_topics.topic_list, name="topics"),
    path("marketing/topics/<slug:slug>/", marketing_topics.topic_wordings, name="topic_wordings"),
    path("marketing/<int:campaign_id>/", marketing.campaign_detail, name="campaign_detail"),
    path("marketing/<int:campaign_id>/<str:action>/", marketing.campaign_action, name="campaign_action"),
    path("people/<uuid:person_id>/marketing/", marketing.person_marketing, name="person_marketing"),
    path("search/", home.search, name="search"),
    path("people/", person_list.person_index, name="person_list"),
    path("people/export/", person_list.person_export_view, name="person_export"),
    path("people/new/", people.person_new, name="person_new"),
    path("people/<uuid:person_id>/", people.person_card, name="person_card"),
    # The card's contact history, a page at a time (htmx fragment).
    path("people/<uuid:person_id>/history/", people.person_timeline, name="person_timeline"),
    path("people/<uuid:person_id>/edit/", people.person_edit, name="person_edit"),
    path("people/<uuid:person_id>/delete/", people.person_remove, name="person_delete"),
    path("people/<uuid:person_id>/interactions/new/", people.interaction_new, name="interaction_new"),
    path("people/<uuid:person_id>/bases/new/", people.basis_new, name="basis_new"),
    path("people/<uuid:person_id>/sources/new/", people.source_new, name="source_new"),
    # Section 6: the person's disclosure log; a disclosure to an authority with its legal basis.
    path("people/<uuid:person_id>/disclosures/", disclosures.person_disclosures, name="person_disclosures"),
    path(
        "people/<uuid:person_id>/disclosures/authority/",
        disclosures.authority_disclosure_new,
        name="authority_disclosure_new",
    ),
    path("people/<uuid:person_id>/restriction/lift/", people.restriction_lift, name="restriction_lift"),
    path(
        "people/<uuid:person_id>/restricted-read/",
        people.person_card_restricted,
        name="person_card_restricted",
    ),
    path("people/<uuid:person_id>/merge/", merge.person_merge_search, name="person_merge"),
    path(
        "people/<uuid:person_id>/merge/<uuid:other_id>/",
        merge.person_merge_confirm,
        name="person_merge_confirm",
    ),
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
    # The student register (training).
    path("training/", training.training_index, name="training"),
    path("training/courses/new/", training.course_new, name="training_course_new"),
    path("training/instances/new/", training.instance_new, name="training_instance_new"),
    path("training/instances/<int:instance_id>/", training.instance_detail, name="training_instance"),
    path("training/instances/<int:instance_id>/enroll/", training.enrollment_new, name="training_enroll"),
    path(
        "training/enrollments/<uuid:enrollment_id>/status/",
        training.enrollment_status,
        name="training_status",
    ),
    path(
        "training/enrollments/<uuid:enrollment_id>/result/",
        training.enrollment_result,
        name="training_result",
    ),
    path(
        "training/enrollments/<uuid:enrollment_id>/certificate/",
        training.enrollment_certificate,
        name="training_certificate",
    ),
    path(
        "training/enrollments/<uuid:enrollment_id>/certificate.pdf",
        training.certificate_file,
        name="training_certificate_file",
    ),
    path(
        "training/enrollments/<uuid:enrollment_id>/birth-date/",
        training.enrollment_birth_date,
        name="training_birth_date",
    ),
    path("training/report/", training.report, name="training_report"),
    path(
        "training/report/send/<int:organization_id>/",
        training.report_send,
        name="training_report_send",
    ),
    path("password/", staff.password_change, name="password_change"),
    path("staff/", staff.staff_list, name="staff_list"),
    path("staff/<int:user_id>/reset-password/", staff.staff_password_reset_view, name="staff_password_reset"),
    path(
        "staff/<int:user_id>/reset-two-factor/",
        two_factor.staff_two_factor_reset,
        name="staff_two_factor_reset",
    ),
    path("staff/<int:user_id>/end-sessions/", staff.staff_sessions_end_view, name="staff_sessions_end"),
    path("staff/<int:user_id>/deactivate/", staff.staff_deactivate_view, name="staff_deactivate"),
    path("instructions/", governance.instructions, name="instructions"),
    path("governance/instructions/new/", governance.instruction_new, name="instruction_new"),
    path("governance/access-review/", governance.access_review_view, name="access_review"),
    path("governance/access-review/done/", governance.access_review_done, name="access_review_done"),
    path(
        "governance/access-review/<int:user_id>/",
        governance.access_review_member,
        name="access_review_member",
    ),
    path("governance/risks/", governance.risk_list, name="risk_list"),
    path("governance/risks/new/", governance.risk_edit, name="risk_new"),
    path("governance/risks/<int:risk_id>/", governance.risk_edit, name="risk_edit"),
    path("security/", two_factor.security_settings, name="security_settings"),
    path("security/backup-codes/", two_factor.backup_codes_new, name="backup_codes_new"),
    path("audit/", audit.audit_index, name="audit"),
    path("audit/verify/", audit.audit_check, name="audit_verify"),
    path("mail/", mail.mail_index, name="mail"),
    path("retention/", retention.retention_index, name="retention"),
    path("erasures/", retention.erasure_list, name="erasures"),
    path("record-of-processing/", retention.processing_record_page, name="processing_record"),
    path("retention/rules/<int:rule_id>/confirm/", retention.retention_confirm, name="retention_confirm"),
    path("retention/rules/new/", configuration.retention_rule_new, name="retention_rule_new"),
    path("retention/rules/<int:rule_id>/", configuration.retention_rule_edit, name="retention_rule_edit"),
    path("retention/holds/", retention.hold_new, name="retention_hold_new"),
    path("retention/holds/<uuid:hold_id>/release/", retention.hold_end, name="retention_hold_end"),
    path(
        "retention/notifications/<uuid:notification_id>/done/",
        retention.notification_done,
        name="retention_notification_done",
    ),
    # Art. 14: persons to tell where their data came from.
    path("privacy/information/", informing.information_index, name="source_information"),
    path("privacy/information/send/", informing.information_send_all, name="source_information_send_all"),
    path(
        "privacy/information/<uuid:person_id>/send/",
        informing.information_send_one,
        name="source_information_send",
    ),
    path(
        "privacy/information/<uuid:person_id>/recorded/",
        informing.information_recorded,
        name="source_information_recorded",
    ),
    path("mail/<uuid:mail_id>/", mail.mail_detail, name="mail_detail"),
    path("mail/<uuid:mail_id>/resend/", mail.mail_resend_view, name="mail_resend"),
    # The privacy notice for the privacy officer (the public pages are in rekisteri/public).
    path("notice/", notice.notice_index, name="notice"),
    path("notice/controller/", notice.notice_controller, name="notice_controller"),
    path("notice/authority/", notice.notice_authority, name="notice_authority"),
    path("notice/draft/", notice.notice_draft, name="notice_draft"),
    path("notice/publish/", notice.notice_publish, name="notice_publish"),
    path("notice/versions/<int:number>/", notice.notice_version, name="notice_version"),
    path("notice/promises/", notice.notice_promises, name="notice_promises"),
    # The configuration the notice is rendered from (sections 2 and 6).
    path("notice/purposes/", configuration.purpose_list, name="notice_purposes"),
    path("notice/purposes/new/", configuration.purpose_new, name="notice_purpose_new"),
    path("notice/purposes/<int:purpose_id>/", configuration.purpose_edit, name="notice_purpose_edit"),
    path(
        "notice/purposes/<int:purpose_id>/delete/", configuration.purpose_delete, name="notice_purpose_delete"
    ),
    path("notice/group-companies/", configuration.group_company_list, name="notice_group_companies"),
    path("notice/group-companies/new/", configuration.group_company_new, name="notice_group_company_new"),
    path(
        "notice/group-companies/<int:company_id>/",
        configuration.group_company_edit,
        name="notice_group_company_edit",
    ),
    path(
        "notice/group-companies/<int:company_id>/delete/",
        configuration.group_company_delete,
        name="notice_group_company_delete",
    ),
    path("notice/recipients/", configuration.recipient_list, name="notice_recipients"),
    path("notice/recipients/new/", configuration.recipient_new, name="notice_recipient_new"),
    path("notice/recipients/<int:recipient_id>/", configuration.recipient_edit, name="notice_recipient_edit"),
    path(
        "notice/recipients/<int:recipient_id>/delete/",
        configuration.recipient_delete,
        name="notice_recipient_delete",
    ),
]
