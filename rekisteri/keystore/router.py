"""Send the key store's models to their own database, everything else to the register's."""

KEYSTORE_APP = "keystore"
KEYSTORE_DB = "keystore"


class KeystoreRouter:
    def db_for_read(self, model, **hints):
        return KEYSTORE_DB if model._meta.app_label == KEYSTORE_APP else "default"

    def db_for_write(self, model, **hints):
        return KEYSTORE_DB if model._meta.app_label == KEYSTORE_APP else "default"

    def allow_relation(self, obj1, obj2, **hints):
        # No foreign keys across the two databases.
        return (obj1._meta.app_label == KEYSTORE_APP) == (obj2._meta.app_label == KEYSTORE_APP)

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == KEYSTORE_APP:
            return db == KEYSTORE_DB
        # The key store database holds nothing but keys; Django's own tables (contenttypes,
        # auth) stay out of it too.
        return db == "default"
