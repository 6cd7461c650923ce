"""Encrypt interaction texts and tracking references under the person's data key."""

from django.db import migrations

from rekisteri.encryption.migrate_helpers import encrypted_field_swap


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0002_initial"),
        ("people", "0002_encrypt_personal_values"),
    ]

    operations = [
        *encrypted_field_swap("interaction", {"text": {"empty_as_null": False}}, "person_id", app_label="contacts"),
        *encrypted_field_swap("trackingevent", {"reference": {"max_length": 200}}, "person_id",
                              app_label="contacts"),
    ]
