from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "rekisteri.contacts"
    label = "contacts"

    def ready(self):
        from rekisteri.contacts.selectors import recent_tracking
        from rekisteri.people.selectors import tracking_reader_install

        # The person card and the API show the newest tracking events (people sits below).
        tracking_reader_install(recent_tracking)
