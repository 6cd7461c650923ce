from django.db import migrations

TRACKING_FI = (
    "Sallin, että avaan ja klikkaan -tietoni uutiskirjeistä tallennetaan nimelläni, jotta "
    "markkinointia voidaan kohdentaa minulle. Voin perua luvan milloin tahansa."
)
TRACKING_EN = (
    "I allow my opens and clicks of newsletters to be recorded under my name, so that marketing "
    "can be targeted to me. I can withdraw this at any time."
)


def seed(apps, schema_editor):
    # The reserved topic whose consent allows individual read tracking (section 9).
    Topic = apps.get_model("marketing", "Topic")
    Wording = apps.get_model("marketing", "Wording")
    topic, _ = Topic.objects.get_or_create(
        slug="tracking",
        defaults={"name_fi": "Lukemisen seuranta", "name_en": "Read tracking", "kind": "tracking"},
    )
    Wording.objects.get_or_create(topic=topic, version=1, defaults={"text_fi": TRACKING_FI, "text_en": TRACKING_EN})


def unseed(apps, schema_editor):
    Topic = apps.get_model("marketing", "Topic")
    Wording = apps.get_model("marketing", "Wording")
    Wording.objects.filter(topic__slug="tracking").delete()
    Topic.objects.filter(slug="tracking").delete()


class Migration(migrations.Migration):
    dependencies = [("marketing", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
