from django.apps import AppConfig


class EncryptionConfig(AppConfig):
    name = "rekisteri.encryption"
    label = "encryption"
