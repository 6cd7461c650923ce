from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """Every outgoing mail, kept durably until it is delivered (or given up with an alert)."""

    name = "rekisteri.outbox"
    label = "outbox"
    verbose_name = "Outgoing mail"
