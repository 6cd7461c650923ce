from django.apps import AppConfig


class BackupsConfig(AppConfig):
    """Backups and restores of the register and the key store (no models of its own)."""

    name = "rekisteri.backups"
    label = "backups"
    verbose_name = "Backups"
