"""The default retention rules: the promise of section 7 (at the latest every two years once
the data is no longer needed) per purpose and group, and the request register's own rule."""

from django.db import migrations

# code, purpose slug (None: every purpose), category, period, anchor, statutory, reason fi, reason en
RULES = [
    (
        "customer_relationship", "customer_relationship", "customer_representative", "P2Y",
        "customer_relationship_end", False,
        "Tietosuojaseloste 7: tiedot käsitellään aktiivisen asiakassuhteen ajan ja poistetaan viimeistään "
        "kahden vuoden kuluttua asiakassuhteen päättymisestä (GDPR 5(1)(e)).",
        "Notice section 7: data is processed during the active customer relationship and erased at the latest "
        "two years after it ended (GDPR Art. 5(1)(e)).",
    ),
    (
        "prospect_contact", None, "prospect_contact", "P2Y", "last_contact", False,
        "Oikeutettu etu (tietosuojaseloste 3): mahdollisen asiakkaan edustajan kiinnostus ei jatku ilman "
        "yhteydenpitoa; poisto kahden vuoden kuluttua viimeisestä yhteydestä.",
        "Legitimate interest (section 3): a prospect's expected interest does not outlast two years without "
        "contact; erased two years after the last contact.",
    ),
    (
        "training", "training", "student", "P2Y", "course_completion", False,
        "Tietosuojaseloste 2 ja 7: koulutukseen osallistuneen tiedot säilytetään kaksi vuotta kurssin "
        "päättymisestä (todistukset, jatkokurssit).",
        "Sections 2 and 7: a course participant's data is kept two years after the course (certificates, "
        "follow-up courses).",
    ),
    (
        "contract", None, "any", "P2Y", "contract_end", False,
        "Sopimus (GDPR 6(1)(b)): tiedot tarvitaan sopimuksen ajan ja vaateiden selvittämiseen kaksi vuotta "
        "sen päättymisestä. Kirjanpitoaineisto säilytetään laissa säädetyn ajan lakisääteisellä pidolla.",
        "Contract (GDPR Art. 6(1)(b)): needed during the contract and for two years after it to settle "
        "claims. Accounting records are kept for their statutory time under a legal hold.",
    ),
    (
        "marketing_consent", "direct_marketing", "any", "P2Y", "consent_withdrawal", False,
        "Suostumus (GDPR 7(1) ja 7(3)): markkinointi päättyy heti suostumuksen peruuttamiseen; tieto "
        "peruutuksesta ja sen noudattamisesta säilytetään kaksi vuotta osoitusvelvollisuuden vuoksi.",
        "Consent (GDPR Art. 7(1) and 7(3)): marketing stops at once on withdrawal; the record of the "
        "withdrawal and that it was honoured is kept two years for accountability.",
    ),
    (
        "ceiling", None, "any", "P2Y", "last_contact", False,
        "Tietosuojaseloste 7: tarpeettomat tiedot poistetaan viimeistään kahden vuoden välein. Sääntö koskee "
        "jokaista henkilöä, jota mikään voimassa oleva käyttötarkoitus ei pidä.",
        "Notice section 7: data no longer needed is erased at the latest every two years. Applies to every "
        "person no running purpose keeps.",
    ),
    (
        "request_records", "rights_and_obligations", "request_record", "P3Y", "request_closure", True,
        "Osoitusvelvollisuus (GDPR 5(2)) ja saatavan yleinen kolmen vuoden vanhentumisaika (laki velan "
        "vanhentumisesta 728/2003, 4 §): pyyntöjen tiedot säilytetään kolme vuotta pyynnön sulkemisesta.",
        "Accountability (GDPR Art. 5(2)) and the general three-year limitation of claims (Act 728/2003 on "
        "the limitation of debts, s. 4): request records are kept three years after the request closed.",
    ),
]


def seed(apps, schema_editor):
    Rule = apps.get_model("retention", "RetentionRule")
    Purpose = apps.get_model("privacy", "Purpose")
    for position, (code, purpose, category, period, anchor, statutory, fi, en) in enumerate(RULES, start=1):
        Rule.objects.update_or_create(
            code=code,
            defaults={
                "purpose": Purpose.objects.filter(slug=purpose).first() if purpose else None,
                "category": category,
                "period": period,
                "anchor": anchor,
                "statutory": statutory,
                "legal_reason_fi": fi,
                "legal_reason_en": en,
                "position": position,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("retention", "RetentionRule").objects.filter(code__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0001_initial"),
        ("privacy", "0002_seed_from_notice"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
