from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "rekisteri.organizations"
    label = "organizations"
