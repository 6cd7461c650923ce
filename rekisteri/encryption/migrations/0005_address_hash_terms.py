"""Every person with an address gets its address-hash entry (SearchTerm kind 5): the first
bits of the keyed hash the suppression list keeps, so campaigns leave suppressed addresses
out in SQL without decrypting anyone's (rekisteri.lib.blind_index). Filled from each
person's decrypted address; the reverse removes the entries."""

from django.db import migrations, models

from rekisteri.encryption.migrate_helpers import address_hash_terms_fill, address_hash_terms_remove


class Migration(migrations.Migration):
    dependencies = [
        ("encryption", "0004_email_domain_and_phone_prefix_codes"),
        ("people", "0010_deletion_override"),
    ]

    operations = [
        migrations.AlterField(
            model_name="searchterm",
            name="kind",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "Email"), (2, "Phone"), (3, "Name"), (4, "Name Word"), (5, "Address Hash")]
            ),
        ),
        migrations.RunPython(address_hash_terms_fill, address_hash_terms_remove),
    ]
