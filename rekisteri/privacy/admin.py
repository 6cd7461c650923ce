"""Admin for configuration only (no personal data of data subjects is registered here).

The admin is off by default (REKISTERI_ADMIN_ENABLED); where it is on, an edit here alters
what the notice says just as the services do, so it refreshes the notice draft in the same
transaction (section 12)."""

from django.contrib import admin
from django.db import transaction

from rekisteri.audit.actor import Actor
from rekisteri.privacy.models import GroupCompany, Purpose, Recipient
from rekisteri.privacy.notice_gate import notice_configuration_changed


class _NoticeConfigurationAdmin(admin.ModelAdmin):
    notice_reason = ""

    def _changed(self, request) -> None:
        notice_configuration_changed(actor=Actor.for_user(request.user, "ui"), reason=self.notice_reason)

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            self._changed(request)

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            self._changed(request)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            self._changed(request)


@admin.register(GroupCompany)
class GroupCompanyAdmin(_NoticeConfigurationAdmin):
    list_display = ["name", "business_id", "is_controller"]
    notice_reason = "group_company"


@admin.register(Purpose)
class PurposeAdmin(_NoticeConfigurationAdmin):
    list_display = ["position", "slug", "name_fi", "name_en"]
    ordering = ["position"]
    notice_reason = "purpose"


@admin.register(Recipient)
class RecipientAdmin(_NoticeConfigurationAdmin):
    list_display = ["kind", "name", "service_fi", "active"]
    notice_reason = "recipient"
