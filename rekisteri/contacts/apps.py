from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "rekisteri.contacts"
    label = "contacts"
