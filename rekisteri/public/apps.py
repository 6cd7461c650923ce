from django.apps import AppConfig


class PublicConfig(AppConfig):
    """Every page without a staff login: the data-subject portal (and, as they come, the
    privacy notice, newsletter subscription, unsubscribing and the certificate check)."""

    name = "rekisteri.public"
    label = "public"
    verbose_name = "Public pages"
