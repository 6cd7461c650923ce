"""Seed the controller, its group companies and the five purposes from the notice."""

from django.db import migrations

PURPOSES = [
    ("customer_relationship", "Asiakassuhteen ja asiakaspalvelun hoitaminen",
     "Managing the customer relationship and customer service"),
    ("rights_and_obligations", "Asiakkaan ja rekisterinpitäjän oikeuksien ja velvollisuuksien toteuttaminen",
     "Carrying out the rights and obligations of the customer and the controller"),
    ("products_and_services",
     "Tuotteiden ja palveluiden kehittäminen, tarjoaminen, toteuttaminen, markkinointi, ylläpitäminen ja tekninen tuki",
     "Developing, offering, delivering, marketing and maintaining products and services, and technical support"),
    ("direct_marketing", "Mainonnan ja suoramarkkinoinnin (mukaan lukien uutiskirje) suuntaaminen",
     "Targeting advertising and direct marketing, including newsletters"),
    ("training", "Koulutuksiin ja kursseihin osallistuneiden asiakasorganisaatioiden edustajien tietojen käsittely",
     "Processing the data of customer representatives who took part in our trainings and courses"),
]

CONTROLLER = {
    "name": "Insta Group Oy",
    "business_id": "0154088-5",
    "is_controller": True,
    "street_address": "Sarankulmankatu 20",
    "postal_code": "FI-33901",
    "city": "Tampere",
    "phone": "+358 20 771 7111",
    "email": "security.support@insta.fi",
    "representative_name": "Tero Leppänen",
    "representative_title": "Turvallisuusjohtaja, Insta Group Oy",
    "representative_phone": "040-772 3002 (020 771 7111)",
    "representative_email": "tero.leppanen@insta.fi",
    "representative_postal_address": "PL 80, 33900 Tampere",
}
GROUP_COMPANIES = ["Insta DefSec Oy", "Insta Automation Oy", "Insta ILS Oy"]


def seed(apps, schema_editor):
    Purpose = apps.get_model("privacy", "Purpose")
    GroupCompany = apps.get_model("privacy", "GroupCompany")
    for position, (slug, name_fi, name_en) in enumerate(PURPOSES, start=1):
        Purpose.objects.update_or_create(slug=slug, defaults={
            "name_fi": name_fi, "name_en": name_en, "position": position})
    GroupCompany.objects.update_or_create(name=CONTROLLER["name"], defaults=CONTROLLER)
    for name in GROUP_COMPANIES:
        GroupCompany.objects.get_or_create(name=name)


def unseed(apps, schema_editor):
    apps.get_model("privacy", "Purpose").objects.filter(slug__in=[p[0] for p in PURPOSES]).delete()
    apps.get_model("privacy", "GroupCompany").objects.filter(
        name__in=[CONTROLLER["name"], *GROUP_COMPANIES], organizations__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
