from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "rekisteri.accounts"
    label = "accounts"

    def ready(self):
        from rekisteri.accounts import checks  # noqa: F401 - registers the system checks
        from rekisteri.accounts.roles import default_purpose
        from rekisteri.audit.actor import purpose_resolver_install

        # Audit events record the purpose of the actor's role (section 2).
        purpose_resolver_install(default_purpose)
        # Permissions exist only after post_migrate has created them, so the role groups
        # are synchronised from roles.ROLE_PERMISSIONS at the end of every migrate.
        post_migrate.connect(_sync_roles, dispatch_uid="rekisteri_roles_sync")


def _sync_roles(sender, using="default", **kwargs):
    # Run once, after the last app: every app's permissions exist by then.
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender.label != with_models[-1].label:
        return
    from django.contrib.auth.models import Group
    from django.db import router

    if not router.allow_migrate_model(using, Group):
        return  # e.g. the key store's database, which holds no auth tables
    from rekisteri.accounts.services import roles_sync

    roles_sync(using=using)
