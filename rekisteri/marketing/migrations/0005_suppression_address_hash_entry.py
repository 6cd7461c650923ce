"""The suppression list gets each hash's address-hash entry, so audiences match it against
persons' entries in SQL (rekisteri.lib.blind_index), and erased persons' addresses are
copied into it from the erasure journal (rekisteri.marketing.audience)."""

from django.conf import settings
from django.db import migrations, models

from rekisteri.lib.blind_index import address_hash_entry


def fill(apps, schema_editor):
    Suppression = apps.get_model("marketing", "Suppression")
    db = schema_editor.connection.alias
    for row in Suppression.objects.using(db).filter(term=None).only("pk", "email_hash").iterator():
        entry = address_hash_entry(row.email_hash, settings.BLIND_INDEX_BITS)
        Suppression.objects.using(db).filter(pk=row.pk).update(term=entry)


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0004_role_relevance_removal"),
    ]

    operations = [
        migrations.AddField(
            model_name="suppression",
            name="term",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddIndex(
            model_name="suppression",
            index=models.Index(fields=["term"], name="suppression_term_idx"),
        ),
        migrations.AddIndex(
            model_name="suppression",
            index=models.Index(fields=["reason", "created_at"], name="suppression_reason_idx"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
