from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "rekisteri.web"
    label = "web"
