"""The notice as a document, rendered from the configuration (sources.py) in one language.

A document is plain data: {"title", "intro", "sections": [{"number", "title", "blocks"}]},
each block one of {"p": text}, {"h": subheading}, {"ul": [items]}, {"dl": [[term, value]]}.
The HTML page, the plain text the diff compares and the stored versions all come from it.
Sections 1-7 state the configuration; 8-12 are the rules the register's code keeps
(texts.py), with the numbers (deadlines, lead time) read from the same code.
"""

from __future__ import annotations

from typing import Any

from rekisteri.notice import sources, texts

Block = dict[str, Any]


def _t(language: str, fi: str, en: str) -> str:
    return fi if language == "fi" else en


def _address(controller: dict) -> str:
    town = f"{controller['postal_code']} {controller['city']}".strip()
    return ", ".join(part for part in (controller["street_address"], town) if part)


def section_controller(language: str, config: dict) -> list[Block]:
    controller = config["controller"]
    if controller is None:
        return [{"p": _t(language, "Rekisterinpitäjää ei ole määritetty.", "No controller is configured.")}]
    rep = controller["representative"]
    rows = [
        [_t(language, "Nimi", "Name"), controller["name"]],
        [_t(language, "Y-tunnus", "Business ID"), controller["business_id"]],
        [_t(language, "Osoite", "Address"), _address(controller)],
        [_t(language, "Puhelin", "Phone"), controller["phone"]],
        [_t(language, "Sähköposti", "E-mail"), controller["email"]],
    ]
    blocks: list[Block] = [{"dl": [row for row in rows if row[1]]}]
    if rep["name"]:
        blocks.append(
            {
                "h": _t(
                    language,
                    "Rekisterinpitäjän edustajan identiteetti ja yhteystiedot",
                    "The controller's representative and their contact details",
                )
            }
        )
        rep_rows = [
            [
                _t(language, "Tehtävävastuulla", "Responsible"),
                ", ".join(p for p in (rep["name"], rep["title"]) if p),
            ],
            [_t(language, "Puhelin", "Phone"), rep["phone"]],
            [_t(language, "Sähköposti", "E-mail"), rep["email"]],
            [_t(language, "Postiosoite", "Postal address"), rep["postal_address"]],
        ]
        blocks.append({"dl": [row for row in rep_rows if row[1]]})
    return blocks


def section_purposes(language: str, config: dict) -> list[Block]:
    items = []
    for purpose in config["purposes"]:
        text = purpose["name"][language]
        if purpose["description"][language]:
            text = f"{text}: {purpose['description'][language]}"
        items.append(text)
    controller = config["controller"]["name"] if config["controller"] else ""
    return [
        {
            "p": _t(
                language,
                "Asiakasrekisterin käsittelyn tarkoituksena on:",
                "We process the customer register for:",
            )
        },
        {"ul": items},
        {"p": texts.marketing_aim(language, controller)},
    ]


def section_bases(language: str, config: dict) -> list[Block]:
    labels = [basis["label"][language].lower() for basis in config["legal_bases"]]
    return [
        {
            "p": _t(
                language,
                "Henkilötietojen käsittelyn oikeusperusteita ovat: ",
                "The legal bases of processing are: ",
            )
            + ", ".join(labels)
            + ". "
            + _t(
                language,
                "Jokaisella rekisteröidyllä on kirjattu oikeusperuste kutakin käsittelyn tarkoitusta kohden.",
                "Every person in the register has a recorded legal basis for each purpose of processing.",
            )
        },
        {"p": texts.LEGITIMATE_INTEREST[language]},
        {"ul": [ground["label"][language] for ground in config["interest_grounds"]]},
        {"p": texts.PROSPECTS[language]},
        {"h": _t(language, "Sähköinen suoramarkkinointi", "Electronic direct marketing")},
        *({"p": paragraph} for paragraph in texts.E_MARKETING[language]),
    ]


def section_categories(language: str, config: dict) -> list[Block]:
    categories = config["categories"]
    return [
        {
            "p": _t(
                language, "Rekisteri sisältää tietoja seuraavista henkilöistä:", "The register holds data on:"
            )
        },
        {"ul": [group["label"][language] for group in config["data_subject_groups"]]},
        {
            "p": _t(
                language,
                "Rekisteröidystä käsitellään seuraavia, edellä mainittujen käyttötarkoitusten kannalta "
                "tarpeellisia tietoja:",
                "We process the following data, as far as the purposes above need it:",
            )
        },
        {"ul": [item["label"][language] for item in categories["customer_register"]]},
        {
            "p": _t(
                language,
                "Oppilasrekisterit sisältävät lisäksi seuraavia tietoja:",
                "The student register also holds:",
            )
        },
        {"ul": [item["label"][language] for item in categories["student_register"]]},
        *({"p": paragraph} for paragraph in texts.CATEGORIES_AFTER[language]),
    ]


def section_sources(language: str, config: dict) -> list[Block]:
    items = [
        texts.SOURCE_TEXTS.get(source["code"], source["label"])[language] for source in config["sources"]
    ]
    return [
        {"p": _t(language, "Henkilötiedot on saatu seuraavista tietolähteistä:", "The data comes from:")},
        {"ul": items},
        {
            "p": _t(
                language,
                "Jokaisen henkilön kohdalla kirjataan, mistä lähteestä ja milloin hänen tietonsa on saatu.",
                "For every person we record which source their data came from, and when.",
            )
        },
    ]


def section_recipients(language: str, config: dict) -> list[Block]:
    recipients = config["recipients"]
    companies = recipients["group_companies"]
    parent = next((c["name"] for c in companies if c["is_controller"]), "")
    others = [c["name"] for c in companies if not c["is_controller"]]
    processors = [item[language] for item in recipients["processors"]]
    return [
        {"p": texts.group_sentence(language, parent, others)},
        {"ul": [c["name"] + (f" ({c['business_id']})" if c["business_id"] else "") for c in companies]},
        {"p": recipients["outside_group"][language]},
        {"p": texts.PROCESSORS[language]},
        {"ul": processors},
        {"p": texts.STUDENT_DISCLOSURE[language]},
        {"p": texts.DISCLOSURE_RECORD[language]},
    ]


def section_retention(language: str, config: dict) -> list[Block]:
    retention = config["retention"]
    return [
        {"p": texts.RETENTION_PURPOSE[language]},
        {"p": texts.retention_interval(language, retention["review_interval_years"])},
        # Each rule with its period: a new period is a change of the notice (section 12).
        *(
            {"p": f"{rule[language]} {texts.retention_period(language, rule['period'])}"}
            for rule in retention["rules"]
        ),
    ]


SECTIONS = (
    (1, "Rekisterinpitäjä", "Controller", section_controller),
    (2, "Henkilötietojen käsittelyn tarkoitukset", "Purposes of processing", section_purposes),
    (3, "Henkilötietojen käsittelyn oikeusperuste", "Legal bases of processing", section_bases),
    (4, "Käsiteltävät henkilötietoryhmät", "Categories of personal data", section_categories),
    (5, "Rekisterin säännönmukaiset tietolähteet", "Regular sources of data", section_sources),
    (6, "Henkilötietojen vastaanottajat", "Recipients of personal data", section_recipients),
    (7, "Henkilötietojen säilytysaika", "Retention of personal data", section_retention),
    (8, "Rekisteröidyn oikeudet", "Your rights", texts.section_rights),
    (
        9,
        "Henkilötietojen käsittely ja profilointi",
        "Automated decisions and profiling",
        texts.section_profiling,
    ),
    (10, "Henkilötietojen jatkokäsittely", "Further processing", texts.section_further),
    (
        11,
        "Yleinen kuvaus rekisterinpitäjän asianmukaisista teknisistä ja organisatorisista turvatoimista",
        "Technical and organisational security measures",
        texts.section_security,
    ),
    (12, "Tietosuojaselosteen muuttaminen", "Changes to this notice", texts.section_changes),
)


def configuration() -> dict[str, Any]:
    """Everything the notice states, read once from where the register keeps it."""
    return {
        "controller": sources.controller(),
        "authority": sources.authority(),
        "purposes": sources.purposes(),
        "legal_bases": sources.legal_bases(),
        "interest_grounds": sources.interest_grounds(),
        "data_subject_groups": sources.data_subject_groups(),
        "categories": sources.categories(),
        "sources": sources.sources(),
        "recipients": sources.recipients(),
        "retention": sources.retention(),
        "rights": sources.rights(),
        "deadlines": sources.rights_deadlines(),
        "portal_url": sources.portal_url(),
        "lead_time_days": sources.lead_time_days(),
    }


def build(language: str, config: dict[str, Any]) -> dict[str, Any]:
    controller = config["controller"]["name"] if config["controller"] else ""
    return {
        "language": language,
        "title": _t(
            language, "Asiakasrekisterin tietosuojaseloste", "Privacy notice of the customer register"
        ),
        "controller": controller,
        "intro": texts.intro(language, controller),
        "sections": [
            {"number": number, "title": fi if language == "fi" else en, "blocks": builder(language, config)}
            for number, fi, en, builder in SECTIONS
        ],
    }


def as_text(document: dict[str, Any]) -> str:
    """The document as plain text, one block per paragraph: what the diff compares."""
    lines = [document["controller"], "", document["title"], "", document["intro"], ""]
    for section in document["sections"]:
        lines += [f"{section['number']}. {section['title']}", ""]
        for block in section["blocks"]:
            if "p" in block:
                lines += [block["p"], ""]
            elif "h" in block:
                lines += [block["h"], ""]
            elif "ul" in block:
                lines += [f"- {item}" for item in block["ul"]] + [""]
            elif "dl" in block:
                lines += [f"{term}: {value}" for term, value in block["dl"]] + [""]
    return "\n".join(lines).rstrip() + "\n"
