"""Person.created_by without an index; PersonCategory.id as SQLite's plain rowid (see the
models and RowIdAutoField). Both cost every bulk-loaded person an index or sequence write."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import rekisteri.db.fields


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_category_person_no_extra_index_or_constraint"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="person",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="personcategory",
            name="id",
            field=rekisteri.db.fields.RowIdAutoField(primary_key=True, serialize=False),
        ),
    ]
