"""Encrypt justifications of legal bases and details of sources under the person's data key."""

from django.db import migrations

from rekisteri.encryption.migrate_helpers import encrypted_field_swap


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0002_seed_from_notice"),
        ("people", "0002_encrypt_personal_values"),
    ]

    operations = [
        *encrypted_field_swap("processingbasis", {"justification": {}}, "person_id", app_label="privacy"),
        *encrypted_field_swap("datasource", {"detail": {"max_length": 300}}, "person_id", app_label="privacy"),
    ]
