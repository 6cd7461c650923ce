from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """How staff prove who they are: login limits across addresses, two-factor login."""

    name = "rekisteri.security"
    label = "security"
    verbose_name = "Login security"
