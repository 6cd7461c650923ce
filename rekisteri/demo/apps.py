from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data of `./run.sh`: organizations, persons, staff; refused in production."""

    name = "rekisteri.demo"
    label = "demo"
    verbose_name = "Demo data"
