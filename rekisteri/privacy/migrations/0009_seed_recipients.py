"""Seed the recipients register from the notice (section 6): the group companies, the three
processor categories the Art. 15 information named, and the authorities."""

from django.db import migrations

PROCESSORS = [
    ("CRM-järjestelmän palveluntarjoaja", "CRM-järjestelmän palveluntarjoaja", "CRM system provider"),
    ("Koulutuslupien palveluntarjoaja", "Koulutuslupien palveluntarjoaja", "Training licence provider"),
    (
        "Markkinointi- ja uutiskirjepalvelun palveluntarjoaja",
        "Markkinointi- ja uutiskirjepalvelun palveluntarjoaja",
        "Marketing and newsletter service provider",
    ),
]
AUTHORITIES = [
    (
        "Viranomaiset lakisääteisen vaatimuksen perusteella",
        "Viranomaiset, kun ne lainmukaisesti niin edellyttävät tai pakottava lainsäädäntö niin vaatii",
        "Authorities, where they lawfully require it or mandatory legislation so demands",
    ),
]


def seed(apps, schema_editor):
    Recipient = apps.get_model("privacy", "Recipient")
    GroupCompany = apps.get_model("privacy", "GroupCompany")
    for position, company in enumerate(GroupCompany.objects.order_by("-is_controller", "name")):
        Recipient.objects.update_or_create(
            name=company.name,
            defaults={
                "kind": "group_company",
                "group_company": company,
                "service_fi": "Konsernin sisäinen hallinnollinen käsittely (oikeutettu etu)",
                "service_en": "Internal administrative processing in the group (legitimate interest)",
                "data_location": "EU/ETA",
                "position": position,
            },
        )
    for position, (name, fi, en) in enumerate(PROCESSORS):
        Recipient.objects.update_or_create(
            name=name,
            defaults={"kind": "processor", "service_fi": fi, "service_en": en, "position": position},
        )
    for position, (name, fi, en) in enumerate(AUTHORITIES):
        Recipient.objects.update_or_create(
            name=name,
            defaults={"kind": "authority", "service_fi": fi, "service_en": en, "position": position},
        )


def unseed(apps, schema_editor):
    apps.get_model("privacy", "Recipient").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("privacy", "0008_recipients_register_and_art19_notifications")]

    operations = [migrations.RunPython(seed, unseed)]
