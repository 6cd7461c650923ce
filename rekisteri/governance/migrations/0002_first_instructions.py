"""Version 1 of the written staff instructions (section 11), so a register always has a
current version for its staff to acknowledge. The privacy officer publishes newer ones."""

from django.db import migrations

TITLE_FI = "Henkilötietojen käsittelyn ohjeet henkilöstölle"
TITLE_EN = "Instructions for staff on processing personal data"

BODY_FI = """1. Käsittele rekisterin henkilötietoja vain työtehtävääsi varten ja vain siihen tarkoitukseen, jota roolisi palvelee (tietosuojaselosteen kohta 2). Älä katso tietoja uteliaisuudesta: jokainen katselu kirjataan lokiin, ja lokit käydään läpi säännöllisesti.
2. Salassapitositoumuksesi on voimassa myös työsuhteen päätyttyä. Älä kerro rekisterin tietoja kenellekään, jolla ei ole niihin työhön perustuvaa oikeutta.
3. Pidä salasanasi ja toisen vaiheen tunnistautumisesi (puhelimen todennussovellus, varakoodit) vain itselläsi. Älä kirjaudu toisen tunnuksilla äläkä anna omiasi kenellekään. Lukitse tai kirjaudu ulos, kun poistut laitteeltasi.
4. Älä vie henkilötietoja rekisteristä muualle (sähköposti, omat tiedostot, pilvipalvelut) muuten kuin rekisterin omalla vientitoiminnolla, joka kirjaa vastaanottajan ja tarkoituksen.
5. Kirjaa vain tarpeellista ja paikkansapitävää tietoa. Älä kirjaa arkaluonteisia tietoja (terveys, uskonto, poliittinen kanta tms.) vapaatekstikenttiin.
6. Ohjaa rekisteröidyn pyynnöt (tarkastus, oikaisu, poisto, vastustus) viipymättä tietosuojavastaavalle tai portaaliin; älä vastaa niihin itse.
7. Ilmoita heti tietosuojavastaavalle, jos epäilet tietoturvaloukkausta (kadonnut laite, väärälle vastaanottajalle lähtenyt tieto, epäilyttävä kirjautuminen). Ilmoitusvelvollisuuden 72 tunnin määräaika alkaa havainnosta.
8. Näitä ohjeita rikkova käsittely voi johtaa käyttöoikeuden poistamiseen ja työoikeudellisiin seuraamuksiin."""

BODY_EN = """1. Process the register's personal data only for your work and only for the purpose your role serves (section 2 of the privacy notice). Do not look at data out of curiosity: every read is logged, and the logs are reviewed regularly.
2. Your confidentiality agreement continues after your employment ends. Do not disclose the register's data to anyone who has no work-based right to it.
3. Keep your password and your second factor (the authenticator app on your phone, your backup codes) to yourself. Never log in with another person's account or give anyone yours. Lock your device or log out when you leave it.
4. Do not take personal data out of the register (e-mail, your own files, cloud services) other than with the register's own export, which records the recipient and the purpose.
5. Record only what is needed and correct. Do not put special categories of data (health, religion, political views and the like) into free-text fields.
6. Pass data-subject requests (access, rectification, erasure, objection) to the privacy officer or the portal without delay; do not answer them yourself.
7. Tell the privacy officer at once if you suspect a personal data breach (a lost device, data sent to the wrong recipient, a suspicious login). The 72-hour deadline for notifying the authority runs from discovery.
8. Processing against these instructions may lead to the removal of access and to employment consequences."""


def create(apps, schema_editor):
    StaffInstruction = apps.get_model("governance", "StaffInstruction")
    if not StaffInstruction.objects.exists():
        StaffInstruction.objects.create(
            version=1, title_fi=TITLE_FI, title_en=TITLE_EN, body_fi=BODY_FI, body_en=BODY_EN
        )


def remove(apps, schema_editor):
    StaffInstruction = apps.get_model("governance", "StaffInstruction")
    StaffInstruction.objects.filter(version=1, acknowledgements__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_instructions_reviews_risks")]

    operations = [migrations.RunPython(create, remove)]
