from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "rekisteri.privacy"
    label = "privacy"

    def ready(self):
        # Section 10: the audit layer below refuses purposes the configuration does not know.
        from django.db.models.signals import post_delete, post_save

        from rekisteri.audit.purposes import purpose_check_install
        from rekisteri.privacy.models import Purpose
        from rekisteri.privacy.purposes import purpose_problem, purposes_cache_clear

        purpose_check_install(purpose_problem)
        # A cache, not a business rule: a purpose changed here is checked anew at once.
        post_save.connect(purposes_cache_clear, sender=Purpose, dispatch_uid="purposes_cache_save")
        post_delete.connect(purposes_cache_clear, sender=Purpose, dispatch_uid="purposes_cache_delete")
