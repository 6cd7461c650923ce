"""The Art. 15(1)-(2) information that accompanies every access package, from the notice.

The texts quote the privacy notice (tietosuojaseloste) in Finnish and English side by side,
so a JSON package is complete in both languages; the HTML page shows one of them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

from rekisteri.privacy.models import GroupCompany, LegalBasis, LegitimateInterestGround, Recipient, SourceKind
from rekisteri.privacy.recipients import recipients_of_kind
from rekisteri.rights.authority import supervisory_authority

# Section 4, by the category codes of the personal-data registry.
CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "name": {"fi": "Nimi", "en": "Name"},
    "email": {"fi": "Sähköpostiosoite", "en": "E-mail address"},
    "phone": {"fi": "Puhelinnumero", "en": "Phone number"},
    "company_and_position": {"fi": "Yritys ja asema", "en": "Company and position"},
    "company_address": {"fi": "Yrityksen osoitetiedot", "en": "Company address"},
    "self_given_info": {"fi": "Henkilön itse antamat lisätiedot", "en": "Additional information you gave"},
    "relationship": {"fi": "Asiakassuhteeseen perustuvat tiedot", "en": "Customer relationship data"},
    "contact_history": {"fi": "Kontaktihistoria", "en": "Contact history"},
    "feedback": {"fi": "Palaute", "en": "Feedback"},
    "tracking": {"fi": "Seurantatiedot", "en": "Tracking data"},
    "rights_requests": {"fi": "Tietosuojapyynnöt ja niiden käsittely", "en": "Data protection requests"},
    "birth_date": {
        "fi": "Syntymäaika (vain opiskelijoiden erottamiseksi)",
        "en": "Birth date (only to tell students apart)",
    },
    "training_records": {
        "fi": "Koulutukset, arvosanat, suoritusajankohdat ja todistukset",
        "en": "Courses, grades, completion dates and certificates",
    },
}

OUTSIDE_GROUP = {
    "fi": (
        "Henkilötietoja ei lähtökohtaisesti luovuteta Insta-konsernin ulkopuolisille tahoille, paitsi "
        "mikäli viranomaiset lainmukaisesti niin edellyttävät tai pakottavan lainsäädännön niin vaatiessa."
    ),
    "en": (
        "Personal data is not disclosed outside the Insta group, except where the authorities lawfully "
        "require it or mandatory legislation so demands."
    ),
}

# Section 7.
RETENTION = {
    "fi": (
        "Tietoja käsitellään ja säilytetään ainoastaan niin kauan kuin on tarpeellista henkilötiedon "
        "ennalta määritellyn käyttötarkoituksen kannalta. Asiakasrekisterissä olevia henkilötietoja "
        "käsitellään aktiivisen asiakassuhteen ajan. Tarpeettomiksi muuttuneet henkilötiedot poistetaan "
        "säännöllisin väliajoin (viimeistään kahden vuoden välein), paitsi milloin lainsäädäntö vaatii "
        "säilyttämään ne."
    ),
    "en": (
        "Data is processed and kept only as long as its defined purpose requires. Customer register data "
        "is processed for the duration of an active customer relationship. Data no longer needed is "
        "deleted at regular intervals (at least every two years), unless the law requires it to be kept."
    ),
}

# Section 5, in general; the package also lists the sources recorded for the person.
SOURCES_GENERAL = {
    "fi": (
        "Tiedot saadaan suoraan rekisteröidyltä, julkisista lähteistä (kuten internet ja kaupparekisteri), "
        "rekisteröidyn työnantajalta tai muulta asiakas- tai yhteistyötaholta sekä Suomen Asiakastieto Oy:n "
        "rekistereistä."
    ),
    "en": (
        "Data comes from you, from public sources (such as the web and the trade register), from your "
        "employer or another customer or partner, and from Suomen Asiakastieto Oy's registers."
    ),
}

# Section 8, with the GDPR articles.
RIGHTS: tuple[dict[str, str], ...] = (
    {
        "right": "consent_withdrawal",
        "article": "7(3)",
        "fi": "Oikeus peruuttaa suostumus",
        "en": "Right to withdraw consent",
    },
    {"right": "access", "article": "15", "fi": "Oikeus saada pääsy tietoihin", "en": "Right of access"},
    {
        "right": "rectification",
        "article": "16",
        "fi": "Oikeus tietojen oikaisemiseen",
        "en": "Right to rectification",
    },
    {"right": "erasure", "article": "17", "fi": "Oikeus tietojen poistamiseen", "en": "Right to erasure"},
    {
        "right": "restriction",
        "article": "18",
        "fi": "Oikeus käsittelyn rajoittamiseen",
        "en": "Right to restriction of processing",
    },
    {
        "right": "portability",
        "article": "20",
        "fi": "Oikeus siirtää tiedot järjestelmästä toiseen",
        "en": "Right to data portability",
    },
    {"right": "objection", "article": "21", "fi": "Vastustamisoikeus", "en": "Right to object"},
    {
        "right": "complaint",
        "article": "77",
        "fi": "Oikeus tehdä valitus valvontaviranomaiselle",
        "en": "Right to lodge a complaint with a supervisory authority",
    },
)

# Section 9.
AUTOMATED_DECISIONS = {
    "fi": (
        "Rekisterinpitäjä ei käytä pelkästään automaattista päätöksentekoa, kuten automaattista "
        "profilointia, osana henkilötietojen käsittelytoimintaa."
    ),
    "en": (
        "We do not use solely automated decision-making, such as automated profiling, in processing "
        "personal data (GDPR Art. 22)."
    ),
}

LANGUAGES = ("fi", "en")


def both(label: Any) -> dict[str, str]:
    """A lazily translated label in both languages."""
    result = {}
    for language in LANGUAGES:
        with translation.override(language):
            result[language] = str(label)
    return result


def choice_label(choices: type, value: str) -> dict[str, str] | None:
    return both(choices(value).label) if value in choices.values else None


def category(code: str) -> dict[str, Any]:
    return {"code": code, "label": CATEGORY_LABELS.get(code, {"fi": code, "en": code})}


def processor_categories() -> list[dict[str, str]]:
    """Section 6: the processors from the recipients register (privacy.Recipient), by service."""
    return [
        {"fi": recipient.service_fi, "en": recipient.service_en}
        for recipient in recipients_of_kind(Recipient.Kind.PROCESSOR)
    ]


def controller() -> dict[str, Any] | None:
    company = GroupCompany.objects.filter(is_controller=True).first()
    if company is None:
        return None
    return {
        "name": company.name,
        "business_id": company.business_id,
        "address": ", ".join(
            p for p in (company.street_address, f"{company.postal_code} {company.city}".strip()) if p
        ),
        "phone": company.phone,
        "email": company.email,
        "representative": {
            "name": company.representative_name,
            "title": company.representative_title,
            "phone": company.representative_phone,
            "email": company.representative_email,
            "postal_address": company.representative_postal_address,
        },
    }


def art15_information(*, bases: list, sources: list, held_categories: set[str], disclosures: list) -> dict:
    """Art. 15(1)(a)-(h) and 15(2) for one person: purposes and bases, categories, recipients,
    retention, sources, the rights, the complaint route and automated decision-making."""
    purposes = [
        {
            "purpose": basis.purpose.slug,
            "name": {"fi": basis.purpose.name_fi, "en": basis.purpose.name_en},
            "basis": basis.basis,
            "basis_label": choice_label(LegalBasis, basis.basis),
            "interest_ground": basis.interest_ground or None,
            "interest_ground_label": choice_label(LegitimateInterestGround, basis.interest_ground),
            "valid_from": basis.valid_from.isoformat(),
            "valid_until": basis.valid_until.isoformat() if basis.valid_until else None,
            "withdrawn_at": basis.withdrawn_at.isoformat() if basis.withdrawn_at else None,
        }
        for basis in bases
    ]
    return {
        "purposes_and_legal_bases": purposes,
        "categories": [category(code) for code in sorted(held_categories)],
        "recipients": {
            "group_companies": [
                {
                    "name": company.name,
                    "business_id": company.business_id,
                    "is_controller": company.is_controller,
                }
                for company in GroupCompany.objects.all()
            ],
            "processors": processor_categories(),
            "outside_group": OUTSIDE_GROUP,
            "disclosures": disclosures,
        },
        "retention": RETENTION,
        "sources": [
            {
                "kind": source.kind,
                "label": choice_label(SourceKind, source.kind),
                "obtained_on": source.obtained_on.isoformat(),
                "report_date": source.report_date.isoformat() if source.report_date else None,
            }
            for source in sources
        ],
        "sources_general": SOURCES_GENERAL,
        "rights": [dict(item) for item in RIGHTS],
        "exercise_rights_at": f"{settings.PUBLIC_BASE_URL}/portal/",
        "complaint": supervisory_authority(),
        "automated_decision_making": {"used": False, "statement": AUTOMATED_DECISIONS},
    }
