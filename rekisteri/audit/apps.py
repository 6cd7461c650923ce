from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "rekisteri.audit"
    label = "audit"

    def ready(self) -> None:
        from rekisteri.audit import checks  # noqa: F401 - registers the system checks
