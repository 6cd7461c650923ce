from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "rekisteri.people"
    label = "people"
