# ruff: noqa: E501  (prose: the notice's sentences wrap where the text reads best)
"""The notice's fixed wording in Finnish and English, and sections 8-12.

The Finnish follows the seed notice (/work/shared/seed/tietosuojaseloste.txt) sentence by
sentence; numbers that code decides (deadlines, the review interval, the lead time) are
filled in from sources.py, never written here.
"""

from __future__ import annotations

from typing import Any

from rekisteri.lib.deadlines import parse_period

Block = dict[str, Any]

_FI_BY_ADESSIVE = {1: "yhdellä", 2: "kahdella", 3: "kolmella", 4: "neljällä"}
_FI_GENITIVE = {1: "yhden", 2: "kahden", 3: "kolmen", 4: "neljän", 5: "viiden"}
_EN_NUMBER = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def intro(language: str, controller: str) -> str:
    if language == "fi":
        return (
            f"{controller} kunnioittaa henkilöiden yksityisyyden ja henkilötiedon suojaa ja on sitoutunut "
            "suojaamaan henkilötietoja lainsäädännön edellyttämällä tavalla. Tämä tietosuojaseloste kuvaa ne "
            "menettelytavat, joita sovelletaan asiakkaista kerättyihin ja käsiteltyihin henkilötietoihin."
        )
    return (
        f"{controller} respects people's privacy and the protection of personal data and is committed to "
        "protecting personal data as the law requires. This notice describes how we process the personal "
        "data we collect about our customers."
    )


def marketing_aim(language: str, controller: str) -> str:
    if language == "fi":
        return (
            "Mainonnan ja kontaktoinnin tarkoituksena on mahdollistaa "
            f"{controller}:n ja sen konserniyhtiöiden tuotteiden ja palvelujen laadukas markkinointi "
            "potentiaalisille asiakkaille ja yhteistyökumppaneille mm. uutiskirjeiden avulla."
        )
    return (
        f"Advertising and contacting let {controller} and its group companies market their products and "
        "services to prospective customers and partners, for example with newsletters."
    )


LEGITIMATE_INTEREST = {
    "fi": (
        "Rekisterinpitäjän oikeutettu etu on käsittelyperusteena silloin, kun rekisteröidyn ja "
        "rekisterinpitäjän välillä on asiallinen yhteys. Oikeutettuun etuun perustuva käsittely kirjataan "
        "aina jollakin seuraavista asiallisen yhteyden perusteista:"
    ),
    "en": (
        "Our legitimate interest is a basis when there is a relevant connection between you and us. "
        "Processing on a legitimate interest always records one of these connections:"
    ),
}

PROSPECTS = {
    "fi": (
        "Lisäksi rekisterinpitäjä voi kirjata oikeutetun edun perusteella asiakasrekisteriin sellaisten "
        "potentiaalisten asiakkaiden yhteyshenkilöiden ja edustajien tietoja, joiden rekisterinpitäjä voi "
        "perustellusti odottaa olevan kiinnostuneita hankkimaan rekisterinpitäjän tarjoamia palveluita tai "
        "tuotteita."
    ),
    "en": (
        "On a legitimate interest we may also record contact persons and representatives of prospective "
        "customers who can reasonably be expected to be interested in our services or products."
    ),
}

E_MARKETING = {
    "fi": [
        "Rekisterinpitäjän sähköistä suoramarkkinointia lähetetään sovellettavaa tietosuojalainsäädäntöä "
        "noudattaen sellaisille rekisteröidyille, jotka ovat antaneet vapaaehtoisen suostumuksensa sähköiseen "
        "suoramarkkinointiin (opt-in), tai joihin rekisterinpitäjän tuotteilla ja palveluilla on olennainen "
        "liityntä vastaanottajan vastuualueen ja työtehtävien kannalta (opt-out).",
        "Kun rekisteröityä pyydetään antamaan suostumuksensa sähköiseen suoramarkkinointiin, hänelle "
        "kerrotaan samalla, että suostumuksen peruuttaminen on mahdollista helposti ja milloin tahansa.",
        "Suostumuksen voi peruuttaa ilmoittamalla tästä rekisterinpitäjälle tai klikkaamalla jokaisen "
        'markkinointiviestin yhteydessä olevaa kieltomahdollisuutta ("Poistu postituslistalta" tai '
        '"Unsubscribe" -toiminto), jolloin rekisteröidyn tiedot poistetaan rekisterinpitäjän sähköisen '
        "suoramarkkinoinnin tilaajalistalta.",
    ],
    "en": [
        "We send electronic direct marketing, as the law requires, to people who have freely consented to it "
        "(opt-in), or whose area of responsibility and work our products and services closely concern "
        "(opt-out).",
        "When we ask for consent to electronic direct marketing, we also tell you that you can withdraw it "
        "easily and at any time.",
        "You can withdraw it by telling us, or with the unsubscribe link in every marketing message "
        '("Unsubscribe"); your details are then removed from our electronic direct-marketing list.',
    ],
}

CATEGORIES_AFTER = {
    "fi": [
        "Lisäksi asiakasrekisteri sisältää rekisterinpitäjän vastuuhenkilöiden nimiä.",
        "Edellä mainittujen henkilötietojen toimittaminen ja/tai käsittely on rekisterinpitäjälle "
        "tarpeellista, jotta rekisterinpitäjä voi olla asiakas-, liike-, yhteistyö- ja/tai sopimussuhteessa "
        "tahoon, jonka puolesta rekisteröity on yhteydessä rekisterinpitäjään (kuten rekisteröidyn "
        "työnantaja).",
        "Rekisteröidyn ei ole sinänsä pakko toimittaa henkilötietojaan rekisterinpitäjälle, joskin "
        "henkilötietojen toimittamatta jättäminen voi hankaloittaa edellä mainittua suhdetta "
        "rekisterinpitäjän ja rekisteröidyn edustaman tahon välillä.",
    ],
    "en": [
        "The customer register also holds the names of our own staff responsible for each customer.",
        "We need this data to have a customer, business, partnership or contractual relationship with the "
        "organisation on whose behalf you are in contact with us (such as your employer).",
        "You are not obliged to give us your data, although not giving it can make that relationship harder.",
    ],
}

SOURCE_TEXTS: dict[str, dict[str, str]] = {
    "data_subject": {"fi": "suoraan rekisteröidyltä itseltään", "en": "from you directly"},
    "public_source": {
        "fi": "julkisista/yleisesti saatavilla olevista lähteistä (kuten internet ja kaupparekisteri)",
        "en": "from public sources (such as the web and the trade register)",
    },
    "employer_or_partner": {
        "fi": "rekisteröidyn työnantajan tai muun rekisterinpitäjään asiakas-, liike-, yhteistyö- tai "
        "sopimussuhteessa olevan tahon edustajalta",
        "en": "from your employer or a representative of another customer, business partner or contracting party",
    },
    "asiakastieto": {
        "fi": "Suomen Asiakastieto Oy:n rekistereistä tarkistetaan yrityksiä koskevia tietoja liiketoiminnan "
        "yhteydessä, jotka raportit saattavat sisältää tietoja myös yritysten edustajista",
        "en": "Suomen Asiakastieto Oy's registers, where we check company information in the course of "
        "business; its reports may also contain data on company representatives",
    },
}


def group_sentence(language: str, parent: str, others: list[str]) -> str:
    if language == "fi":
        listed = ", ".join(f"{name}:stä" for name in others[:-1])
        listed = (
            f"{listed} ja {others[-1]}:stä" if len(others) > 1 else (f"{others[0]}:stä" if others else "")
        )
        return (
            f"Konserni koostuu emoyhtiö {parent}:n lisäksi {listed}. Rekisterinpitäjän asiakasrekisterissä "
            "olevia henkilötietoja voidaan käsitellä konsernin sisällä sisäisistä hallinnollisista syistä "
            "johtuen oikeutetun edun perusteella."
        )
    listed = ", ".join(others[:-1]) + (
        f" and {others[-1]}" if len(others) > 1 else (others[0] if others else "")
    )
    return (
        f"The group consists of the parent company {parent} and {listed}. The data in the customer register "
        "may be processed within the group for internal administrative reasons, on a legitimate interest."
    )


PROCESSORS = {
    "fi": (
        "Rekisterinpitäjä käyttää palveluidensa teknisen toteuttamisen yhteydessä luotettavia "
        "palveluntarjoajia, jotka käsittelevät henkilötietoja rekisterinpitäjän puolesta tietojenkäsittely"
        "sopimuksen nojalla ja rekisterinpitäjän dokumentoitujen ohjeiden mukaisesti. Palveluntarjoajat ovat:"
    ),
    "en": (
        "We use trusted service providers to deliver our services technically; they process personal data "
        "on our behalf under a data processing agreement and our documented instructions. They are:"
    ),
}

STUDENT_DISCLOSURE = {
    "fi": (
        "Oppilasrekisterin tietoja voidaan luovuttaa sellaiselle asiakasorganisaatiolle, jonka alaisuudessa "
        "oppilas on osallistunut koulutukseen, sekä rekisteröidyn luvalla niihin tarkoituksiin, joihin "
        "rekisteröity on suostunut rekisteriin liitettäessä."
    ),
    "en": (
        "Student register data may be disclosed to the customer organisation under which the student took "
        "part in the training, and with the student's permission for the purposes they agreed to."
    ),
}

DISCLOSURE_RECORD = {
    "fi": (
        "Jokainen luovutus kirjataan vastaanottajineen, jotta tietojen oikaisusta ja poistosta voidaan "
        "ilmoittaa jokaiselle vastaanottajalle (tietosuoja-asetuksen 19 artikla)."
    ),
    "en": (
        "Every disclosure is recorded with its recipient, so that every recipient can be told of a "
        "rectification or erasure (GDPR Art. 19)."
    ),
}

RETENTION_PURPOSE = {
    "fi": (
        "Rekisterinpitäjä käsittelee ja säilyttää tietoja ainoastaan niin kauan kuin on tarpeellista "
        "henkilötiedon ennalta määritellyn käyttötarkoituksen kannalta. Asiakasrekisterissä olevia "
        "henkilötietoja käsitellään aktiivisen asiakassuhteen ajan."
    ),
    "en": (
        "We process and keep data only as long as its defined purpose needs it. Customer register data is "
        "processed for the duration of an active customer relationship."
    ),
}


_PERIOD_UNITS = {
    "fi": (("vuosi", "vuotta"), ("kuukausi", "kuukautta"), ("päivä", "päivää")),
    "en": (("year", "years"), ("month", "months"), ("day", "days")),
}


def retention_period(language: str, period: str) -> str:
    """A rule's period (ISO 8601, as the sweep reads it) in words: "2 vuotta", "1 year 6 months"."""
    parsed = parse_period(period)
    amounts = (parsed.months // 12, parsed.months % 12, parsed.days)
    words = [
        f"{amount} {units[0] if amount == 1 else units[1]}"
        for amount, units in zip(amounts, _PERIOD_UNITS[language], strict=True)
        if amount
    ]
    label = "Säilytysaika" if language == "fi" else "Retention period"
    return f"{label}: {' '.join(words)}."


def retention_interval(language: str, years: int) -> str:
    if language == "fi":
        interval = "vuoden välein" if years == 1 else f"{_FI_GENITIVE.get(years, str(years))} vuoden välein"
        return (
            "Tarpeettomiksi muuttuneet henkilötiedot, joita rekisterinpitäjällä ei ole enää perustetta "
            f"säilyttää eikä käsitellä, poistetaan säännöllisin väliajoin (viimeistään {interval}). "
            "Henkilötiedot ovat muuttuneet tarpeettomiksi esimerkiksi silloin, kun asiakas-, liike-, "
            "yhteistyö- tai sopimussuhde rekisterinpitäjään on päättynyt, paitsi milloin lainsäädäntö vaatii "
            "säilyttämään henkilötiedot."
        )
    interval = "every year" if years == 1 else f"every {_EN_NUMBER.get(years, str(years))} years"
    return (
        f"Data we no longer need or have a basis to keep is deleted at regular intervals (at least {interval}). "
        "Data is no longer needed, for example, when the customer, business, partnership or contractual "
        "relationship has ended, unless the law requires it to be kept."
    )


RIGHT_TEXTS: dict[str, dict[str, str]] = {
    "consent_withdrawal": {
        "fi": "Rekisteröidyllä on oikeus peruuttaa suostumuksensa milloin tahansa. Suostumuksen peruuttaminen "
        "ei vaikuta suostumuksen perusteella ennen sen peruuttamista suoritetun käsittelyn lainmukaisuuteen.",
        "en": "You may withdraw your consent at any time. Withdrawing it does not make processing before the "
        "withdrawal unlawful.",
    },
    "access": {
        "fi": "Rekisteröidyllä on oikeus saada vahvistus siitä, käsitelläänkö häntä koskevia henkilötietoja, "
        "ja jos käsitellään, oikeus saada pääsy tietoihin sekä artiklassa säädetyt tiedot käsittelystä.",
        "en": "You may have confirmation of whether we process your data and, if we do, a copy of it with "
        "the information the article lists about its processing.",
    },
    "rectification": {
        "fi": "Rekisteröidyllä on oikeus vaatia, että rekisterinpitäjä oikaisee ilman aiheetonta viivytystä "
        "epätarkat ja virheelliset henkilötiedot ja täydentää puutteelliset tiedot.",
        "en": "You may have inaccurate data corrected without undue delay and incomplete data completed.",
    },
    "erasure": {
        "fi": "Rekisteröidyllä on oikeus saada henkilötietonsa poistetuiksi ilman aiheetonta viivytystä, "
        "edellyttäen että jokin artiklassa säädetyistä perusteista täyttyy.",
        "en": "You may have your data erased without undue delay where one of the grounds of the article "
        "applies.",
    },
    "restriction": {
        "fi": "Rekisteröidyllä on oikeus siihen, että rekisterinpitäjä rajoittaa käsittelyä, edellyttäen että "
        "jokin artiklassa säädetyistä perusteista täyttyy.",
        "en": "You may have processing restricted where one of the grounds of the article applies.",
    },
    "portability": {
        "fi": "Rekisteröidyllä on oikeus saada itse toimittamansa henkilötiedot jäsennellyssä, yleisesti "
        "käytetyssä ja koneellisesti luettavassa muodossa ja siirtää ne toiselle rekisterinpitäjälle, jos "
        "käsittely perustuu suostumukseen tai sopimukseen ja suoritetaan automaattisesti.",
        "en": "You may receive the data you gave us in a structured, commonly used, machine-readable format "
        "and pass it to another controller, where processing rests on consent or contract and is automated.",
    },
    "objection": {
        "fi": "Rekisteröidyllä on oikeus erityiseen tilanteeseensa liittyvällä perusteella vastustaa "
        "oikeutettuun etuun perustuvaa käsittelyä. Jos henkilötietoja käsitellään suoramarkkinointia varten, "
        "rekisteröidyllä on oikeus milloin tahansa vastustaa käsittelyä, jolloin tietoja ei saa enää "
        "käsitellä tähän tarkoitukseen.",
        "en": "You may object, on grounds of your particular situation, to processing based on our legitimate "
        "interest. You may object to direct marketing at any time; your data is then no longer processed for "
        "it.",
    },
    "complaint": {
        "fi": "Mikäli rekisteröity katsoo rekisterinpitäjän rikkovan sovellettavaa tietosuojalainsäädäntöä, "
        "rekisteröidyllä on oikeus tehdä valitus valvontaviranomaiselle.",
        "en": "If you consider that we break data protection law, you may lodge a complaint with the "
        "supervisory authority.",
    },
}


def _deadlines(language: str, deadlines: dict) -> list[Block]:
    months = deadlines["extension_months"]
    if language == "fi":
        return [
            {
                "p": "Rekisterinpitäjän on toimitettava rekisteröidyille tiedot toimenpiteistä, joihin on "
                "ryhdytty 15-22 artiklan nojalla tehdyn pyynnön johdosta ilman aiheetonta viivytystä ja joka "
                "tapauksessa kuukauden kuluessa pyynnön vastaanottamisesta. Määräaikaa voidaan tarvittaessa "
                f"jatkaa enintään {_FI_BY_ADESSIVE.get(months, str(months))} kuukaudella ottaen huomioon "
                "pyyntöjen monimutkaisuus ja määrä. Jatkamisesta ja viivästymisen syistä ilmoitetaan "
                "rekisteröidylle kuukauden kuluessa pyynnön vastaanottamisesta. Jos rekisteröity esittää "
                "pyynnön sähköisesti, tiedot toimitetaan sähköisesti, paitsi jos rekisteröity toisin pyytää."
            },
            {
                "p": "Jos rekisterinpitäjä ei toteuta toimenpiteitä rekisteröidyn pyynnön perusteella, "
                "rekisterinpitäjän on ilmoitettava viipymättä ja viimeistään kuukauden kuluessa pyynnön "
                "vastaanottamisesta rekisteröidylle syyt siihen ja kerrottava mahdollisuudesta tehdä valitus "
                "valvontaviranomaiselle ja käyttää muita oikeussuojakeinoja."
            },
        ]
    return [
        {
            "p": "We tell you what we have done on a request under Articles 15-22 without undue delay and in "
            "any event within one month of receiving it. Where necessary the period may be extended by at most "
            f"{_EN_NUMBER.get(months, str(months))} further months, given the complexity and number of "
            "requests; we tell you of an extension and its reasons within the first month. A request made "
            "electronically is answered electronically unless you ask otherwise."
        },
        {
            "p": "If we do not act on your request, we tell you why without delay and at the latest within one "
            "month of receiving it, with the possibility to lodge a complaint with the supervisory authority "
            "and to seek a judicial remedy."
        },
    ]


def section_rights(language: str, config: dict) -> list[Block]:
    blocks: list[Block] = [
        {
            "p": "Rekisteröidyllä on seuraavat, tapauskohtaisesti sovellettavat oikeudet:"
            if language == "fi"
            else "You have the following rights, as each applies:"
        }
    ]
    for right in config["rights"]:
        article = f" ({'tietosuoja-asetuksen' if language == 'fi' else 'GDPR Art.'} {right['article']}"
        article += " artikla)" if language == "fi" else ")"
        blocks.append({"h": right[language] + article})
        if right["right"] in RIGHT_TEXTS:
            blocks.append({"p": RIGHT_TEXTS[right["right"]][language]})
    authority = config["authority"]
    blocks.append({"h": "Valvontaviranomainen" if language == "fi" else "Supervisory authority"})
    rows = [
        [authority["name_fi"] if language == "fi" else authority["name_en"], authority["street_address"]],
        ["Postiosoite" if language == "fi" else "Postal address", authority["postal_address"]],
        ["Puhelin" if language == "fi" else "Phone", authority["phone"]],
        ["Sähköposti" if language == "fi" else "E-mail", authority["email"]],
        ["Verkkosivut" if language == "fi" else "Website", authority["url"]],
    ]
    blocks.append({"dl": [row for row in rows if row[1]]})
    blocks.append(
        {
            "h": "Rekisterinpitäjän velvollisuudet rekisteröityjen oikeuksien johdosta"
            if language == "fi"
            else "Our obligations when you use your rights"
        }
    )
    blocks += _deadlines(language, config["deadlines"])
    blocks.append({"h": "Oikeuksien käyttäminen" if language == "fi" else "Using your rights"})
    if language == "fi":
        blocks += [
            {
                "p": "Voit käyttää oikeuksiasi ottamalla yhteyttä rekisterinpitäjään tietosuojaselosteen kohdan 1 "
                f"yhteystietojen mukaisesti tai verkossa osoitteessa {config['portal_url']}."
            },
            {
                "p": "Ennen pyynnön toteuttamista meillä on oikeus ja velvollisuus varmentua "
                "henkilöllisyydestäsi, josta johtuen meidän on kyettävä tunnistamaan sinut riittävällä tavalla."
            },
            {
                "p": "Jos pyyntösi on ilmeisen perusteeton tai kohtuuton, voimme joko periä hallinnollisiin "
                "kustannuksiin perustuvan kohtuullisen maksun tai kieltäytyä suorittamasta pyydettyä toimea."
            },
        ]
    else:
        blocks += [
            {
                "p": "You can use your rights by contacting the controller at the details in section 1, or online "
                f"at {config['portal_url']}."
            },
            {
                "p": "Before acting on a request we must verify your identity, so we need to identify you well enough."
            },
            {
                "p": "If a request is manifestly unfounded or excessive, we may charge a reasonable fee based on "
                "the administrative costs, or refuse to act on it."
            },
        ]
    return blocks


def section_profiling(language: str, config: dict) -> list[Block]:
    if language == "fi":
        return [
            {
                "p": "Rekisterinpitäjä ei käytä pelkästään automaattista päätöksentekoa, kuten automaattista "
                "profilointia, osana henkilötietojen käsittelytoimintaa."
            },
            {
                "p": "Asiakasrekisterissä ylläpidetään ja hyödynnetään asiakassuhteiden ylläpidossa ja "
                "kehittämisessä tarvittavia tietoja. Oppilasrekisterissä ylläpidetään asiakassopimusten "
                "edellyttämiä tietoja koulutetuista ja heidän suorituksestaan."
            },
            {
                "p": "Markkinointi- ja kontaktirekisterin pohjalta lähetetään mm. uutiskirjeitä, joiden lukemisen "
                "aktiivisuutta ja lukijoiden kiinnostusta seurataan sisällön kehittämiseksi sekä markkinointi- ja "
                "myyntitoimenpiteiden kohdistamiseksi."
            },
        ]
    return [
        {"p": "We do not use solely automated decision-making, such as automated profiling (GDPR Art. 22)."},
        {
            "p": "The customer register keeps what maintaining and developing customer relationships needs; the "
            "student register keeps what customer contracts require about trainees and their results."
        },
        {
            "p": "We send newsletters from the marketing and contact register and follow how actively they are "
            "read and what interests readers, to develop their content and target marketing and sales."
        },
    ]


def section_further(language: str, config: dict) -> list[Block]:
    if language == "fi":
        return [
            {
                "p": "Rekisterinpitäjä ei käsittele henkilötietoja muihin tarkoituksiin kuin niihin, jotka on "
                "kuvattu tässä tietosuojaselosteessa."
            },
            {
                "p": "Mikäli rekisterinpitäjä käsittelee henkilötietoja edelleen muihin tarkoituksiin, "
                "rekisterinpitäjä ilmoittaa rekisteröidylle ennen jatkokäsittelyä tällaisesta tarkoituksesta "
                "ja antaa kaikki asiaan kuuluvat lisätiedot."
            },
        ]
    return [
        {"p": "We do not process personal data for purposes other than those described in this notice."},
        {
            "p": "Should we process data further for another purpose, we will tell you of that purpose, with "
            "all relevant further information, before the further processing."
        },
    ]


def section_security(language: str, config: dict) -> list[Block]:
    if language == "fi":
        return [
            {
                "p": "Asiakasrekisteriin on annettu pääsyoikeus vain sellaisille nimetyille työntekijöille, "
                "jotka ovat allekirjoittaneet asianmukaiset salassapitositoumukset, ja kukin näkee vain "
                "tehtävänsä edellyttämät tiedot."
            },
            {
                "p": "Rekisterinpitäjä on antanut työntekijöilleen sitovia kirjallisia ohjeita ja määräyksiä "
                "henkilötietojen käsittelyä ja tietosuojaa koskien, joita työntekijät ovat sitoutuneet "
                "noudattamaan."
            },
            {
                "p": "Tietojärjestelmien tietoturva on järjestetty asianmukaisesti mm. salauksin ja teknisin "
                "rajoituksin: jokainen henkilötieto on salattu henkilökohtaisella avaimella, ja jokainen "
                "henkilötietojen luku ja muutos kirjataan muuttumattomaan lokiin."
            },
            {
                "p": "Rekisterinpitäjä tarkastaa henkilötietojen käsittelytoimintonsa ja niissä käytettävät "
                "järjestelmät säännöllisin väliajoin ja arvioi käsittelyyn sisältyvät riskit esimerkiksi uutta "
                "teknologiaa käyttöönotettaessa."
            },
        ]
    return [
        {
            "p": "Only named staff who have signed a confidentiality agreement have access to the register, and "
            "each sees only what their work needs."
        },
        {
            "p": "Our staff have binding written instructions on processing personal data and data protection, "
            "which they have committed to follow."
        },
        {
            "p": "Our systems are secured with encryption and technical restrictions: every personal value is "
            "encrypted under a key of its person's own, and every read and change of personal data is recorded "
            "in a tamper-evident log."
        },
        {
            "p": "We review our processing and the systems it uses regularly and assess its risks, for example "
            "when new technology is taken into use."
        },
    ]


def section_changes(language: str, config: dict) -> list[Block]:
    days = config["lead_time_days"]
    if language == "fi":
        return [
            {
                "p": "Rekisterinpitäjä voi muuttaa tätä tietosuojaselostetta. Jokainen julkaistu versio "
                "säilytetään muuttumattomana voimaantulopäivineen ja muutosten yhteenvetoineen."
            },
            {
                "p": "Rekisterinpitäjä tiedottaa rekisteröidyille merkittävistä muutoksista tähän "
                "tietosuojaselosteeseen ja käsittelytoimiin verkkosivuillaan ja sähköpostitse jokaiselle, "
                f"jonka osoite on rekisterissä, vähintään {days} päivää ennen niiden voimaantuloa, antaakseen "
                "rekisteröidyille kohtuullisen ajan arvioida tällaisten muutosten seurauksia."
            },
        ]
    return [
        {
            "p": "We may change this notice. Every published version is kept unchanged with its effective date "
            "and a summary of its changes."
        },
        {
            "p": "We tell you of significant changes to this notice and to our processing on our website and by "
            f"e-mail to everyone whose address is in the register at least {days} days before they take "
            "effect, to give you reasonable time to consider them."
        },
    ]
