"""Encrypt every personal value of a person under their own data key; index for search."""

from django.db import migrations, models

from rekisteri.encryption.migrate_helpers import encrypted_field_swap, reindex_all_persons


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0001_initial"),
        ("encryption", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(name="person", options={"ordering": ["-created_at", "id"],
                                                              "permissions": [("export_person",
                                                                               "Can export a person's data")]}),
        migrations.RemoveIndex(model_name="person", name="person_name_idx"),
        migrations.RemoveIndex(model_name="person", name="person_first_name_idx"),
        migrations.RemoveField(model_name="person", name="email_lookup"),
        *encrypted_field_swap(
            "person",
            {
                "first_name": {"max_length": 100},
                "last_name": {"max_length": 100},
                "email": {"max_length": 254},
                "phone": {"max_length": 20},
                "title": {"max_length": 200, "verbose_name": "position"},
                "self_given_info": {"max_length": 5000},
            },
            "pk",
            app_label="people",
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["-created_at", "id"], name="person_created_idx"),
        ),
        migrations.RunPython(reindex_all_persons, migrations.RunPython.noop),
    ]
