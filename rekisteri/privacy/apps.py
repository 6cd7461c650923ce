from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "rekisteri.privacy"
    label = "privacy"
