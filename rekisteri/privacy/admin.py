"""Admin for configuration only (no personal data of data subjects is registered here)."""

from django.contrib import admin

from rekisteri.privacy.models import GroupCompany, Purpose


@admin.register(GroupCompany)
class GroupCompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "business_id", "is_controller"]


@admin.register(Purpose)
class PurposeAdmin(admin.ModelAdmin):
    list_display = ["position", "slug", "name_fi", "name_en"]
    ordering = ["position"]
