"""E-mail entries become codes of the domain and the address, phone entries prefix codes.

The entries of these kinds change meaning (rekisteri.lib.blind_index), so every person's
entries are built again from their decrypted values: the old ones and the per-person lists
are removed first. Name entries come out as before.
"""

from django.db import migrations

from rekisteri.encryption.migrate_helpers import reindex_all_persons


def rebuild(apps, schema_editor):
    db = schema_editor.connection.alias
    apps.get_model("encryption", "SearchTerm").objects.using(db).all().delete()
    apps.get_model("encryption", "PersonSearchTerms").objects.using(db).all().delete()
    reindex_all_persons(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("encryption", "0003_person_search_terms"),
    ]

    operations = [
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
