"""Section 1-12 published from the configuration: every fact of the seed notice, both languages."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.test import Client

from rekisteri.privacy.models import GroupCompany, Purpose

pytestmark = pytest.mark.django_db

SEED = Path("/work/shared/seed/tietosuojaseloste.txt")
# The seed notice, kept in the repository so the test does not depend on the workspace.
SEED_COPY = Path(__file__).resolve().parents[3] / "docs" / "tietosuojaseloste.txt"

# (fact, its wording in the Finnish page, in the English page). The Finnish wording is also
# looked up in the seed notice itself, so the list cannot drift from the specification.
FACTS = [
    ("controller", "Insta Group Oy", "Insta Group Oy"),
    ("business id", "0154088-5", "0154088-5"),
    ("address", "Sarankulmankatu 20, FI-33901 Tampere", "Sarankulmankatu 20, FI-33901 Tampere"),
    ("phone", "+358 20 771 7111", "+358 20 771 7111"),
    ("e-mail", "security.support@insta.fi", "security.support@insta.fi"),
    ("representative", "Tero Leppänen", "Tero Leppänen"),
    ("representative's title", "Turvallisuusjohtaja", "Turvallisuusjohtaja"),
    ("representative's phone", "040-772 3002", "040-772 3002"),
    ("representative's e-mail", "tero.leppanen@insta.fi", "tero.leppanen@insta.fi"),
    ("representative's address", "PL 80, 33900 Tampere", "PL 80, 33900 Tampere"),
    (
        "purpose 1",
        "asiakassuhteen ja asiakaspalvelun hoitaminen",
        "customer relationship and customer service",
    ),
    (
        "purpose 2",
        "asiakkaan ja rekisterinpitäjän oikeuksien ja velvollisuuksien toteuttaminen",
        "rights and obligations of the customer and the controller",
    ),
    ("purpose 3", "tekninen tuki", "technical support"),
    ("purpose 4", "suoramarkkinoinnin (mukaan lukien uutiskirje)", "direct marketing, including newsletters"),
    ("purpose 5", "koulutuksiin ja kursseihin osallistuneiden", "took part in our trainings and courses"),
    ("legal basis: contract", "sopimus", "contract"),
    ("legal basis: consent", "suostumus", "consent"),
    ("legal basis: legitimate interest", "oikeutettu etu", "legitimate interest"),
    ("opt-in", "(opt-in)", "(opt-in)"),
    ("opt-out", "(opt-out)", "(opt-out)"),
    ("unsubscribe", "Unsubscribe", "Unsubscribe"),
    ("student data: grades", "arvosanat ja suorituspäivämäärät", "grades and dates of completion"),
    ("student data: birth date", "syntymäaika", "date of birth"),
    ("parent company", "emoyhtiö Insta Group Oy", "parent company Insta Group Oy"),
    ("group company", "Insta DefSec Oy", "Insta DefSec Oy"),
    ("group company", "Insta Automation Oy", "Insta Automation Oy"),
    ("group company", "Insta ILS Oy", "Insta ILS Oy"),
    ("source: the person", "suoraan rekisteröidyltä itseltään", "from you directly"),
    ("source: public", "kaupparekisteri", "trade register"),
    ("source: Asiakastieto", "Suomen Asiakastieto Oy", "Suomen Asiakastieto Oy"),
    ("processor", "CRM-järjestelmän palveluntarjoaja", "CRM system provider"),
    ("processor", "uutiskirjepalvelun palveluntarjoaja", "newsletter service provider"),
    ("removal interval", "viimeistään kahden vuoden välein", "at least every two years"),
    (
        "answer within a month",
        "kuukauden kuluessa pyynnön vastaanottamisesta",
        "within one month of receiving it",
    ),
    ("extension", "enintään kahdella kuukaudella", "by at most two further months"),
    ("authority", "valvontaviranomaiselle", "supervisory authority"),
    ("authority's name", "Tietosuojavaltuutetun toimisto", "Office of the Data Protection Ombudsman"),
    (
        "no automated decisions",
        "ei käytä pelkästään automaattista päätöksentekoa",
        "solely automated decision-making",
    ),
    ("newsletter tracking", "lukemisen aktiivisuutta", "how actively they are read"),
    (
        "no further processing",
        "ei käsittele henkilötietoja muihin tarkoituksiin",
        "purposes other than those",
    ),
    ("confidentiality agreements", "salassapitositoumukset", "confidentiality agreement"),
    ("encryption", "salauksin", "encryption"),
]
# Facts of the notice that are not in the seed's words (the authority is configuration the
# seed leaves unnamed).
NOT_IN_SEED = {"Tietosuojavaltuutetun toimisto"}


def _page_text(response) -> str:
    body = response.content.decode()
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def _seed_text() -> str:
    return (SEED if SEED.exists() else SEED_COPY).read_text(encoding="utf-8")


def test_every_fact_of_the_seed_notice_is_on_the_finnish_page():
    response = Client().get("/tietosuojaseloste/")
    assert response.status_code == 200
    assert response["Content-Language"] == "fi"
    page, seed = _normalised(_page_text(response)), _normalised(_seed_text())
    for name, finnish, _english in FACTS:
        assert _normalised(finnish) in page, name
        if finnish not in NOT_IN_SEED:
            assert _normalised(finnish) in seed, f"{name}: not a fact of the seed notice"


def test_every_fact_of_the_seed_notice_is_on_the_english_page():
    response = Client().get("/en/privacy-notice/")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    page = _normalised(_page_text(response))
    for name, _finnish, english in FACTS:
        assert _normalised(english) in page, name


def test_the_page_has_all_twelve_sections_in_both_languages():
    for url in ("/tietosuojaseloste/", "/en/privacy-notice/"):
        body = Client().get(url).content.decode()
        for number in range(1, 13):
            assert f'id="section-{number}"' in body, (url, number)


def test_the_notice_follows_the_configuration_not_a_copy_of_it():
    controller = GroupCompany.objects.get(is_controller=True)
    controller.street_address = "Hermiankatu 1"
    controller.save()
    GroupCompany.objects.create(name="Insta Nova Oy")
    Purpose.objects.create(
        slug="events", name_fi="Tapahtumien järjestäminen", name_en="Organising events", position=9
    )
    fi = _page_text(Client().get("/tietosuojaseloste/"))
    en = _page_text(Client().get("/en/privacy-notice/"))
    assert "Hermiankatu 1, FI-33901 Tampere" in fi and "Sarankulmankatu" not in fi
    assert "Insta Nova Oy" in fi and "Insta Nova Oy" in en
    assert "Tapahtumien järjestäminen" in fi and "Organising events" in en


def test_the_authority_follows_its_setting(settings):
    settings.SUPERVISORY_AUTHORITY = {**settings.SUPERVISORY_AUTHORITY, "phone": "029 000 0000"}
    assert "029 000 0000" in _page_text(Client().get("/tietosuojaseloste/"))


def test_the_notice_needs_no_login_and_says_which_language_is_the_other():
    fi = Client().get("/tietosuojaseloste/").content.decode()
    en = Client().get("/en/privacy-notice/").content.decode()
    assert 'href="/en/privacy-notice/"' in fi
    assert 'href="/tietosuojaseloste/"' in en
    assert '<html lang="fi">' in fi and '<html lang="en">' in en


def test_json_states_the_facts_with_dpv_terms():
    response = Client().get("/en/privacy-notice/?format=json")
    assert response.status_code == 200
    data = response.json()
    assert data["language"] == "en"
    assert data["controller"]["name"] == "Insta Group Oy"
    assert data["controller"]["business_id"] == "0154088-5"
    assert data["controller"]["dpv"] == "dpv:DataController"
    assert data["representative"]["name"] == "Tero Leppänen"
    assert [p["slug"] for p in data["purposes"]] == [
        "customer_relationship",
        "rights_and_obligations",
        "products_and_services",
        "direct_marketing",
        "training",
    ]
    terms = {p["slug"]: p["dpv"] for p in data["purposes"]}
    assert terms["direct_marketing"] == "dpv:DirectMarketing"
    assert terms["training"] is None  # no DPV term says it: none is invented
    bases = {b["code"]: (b["dpv"], b["gdpr"]) for b in data["legal_bases"]}
    assert bases["consent"] == ("dpv:Consent", "eu-gdpr:A6-1-a")
    assert bases["legitimate_interest"] == ("dpv:LegitimateInterest", "eu-gdpr:A6-1-f")
    assert {c["name"] for c in data["recipients"]["group_companies"]} == {
        "Insta Group Oy",
        "Insta DefSec Oy",
        "Insta Automation Oy",
        "Insta ILS Oy",
    }
    assert "asiakastieto" in {s["code"] for s in data["sources"]}
    assert data["retention"]["review_interval_years"] == 2
    assert data["request_deadlines"] == {"answer_months": 1, "extension_months": 2, "gdpr": "eu-gdpr:A12-3"}
    assert data["supervisory_authority"]["dpv"] == "dpv:DataProtectionAuthority"
    assert data["automated_decision_making"]["used"] is False
    assert {r["dpv"] for r in data["rights"]} >= {"eu-gdpr:A15", "eu-gdpr:A17", "eu-gdpr:A77"}
    assert data["version"] is None  # nothing published yet: the live configuration
    assert data["document"]["sections"][0]["title"] == "Controller"


def test_a_finnish_json_carries_the_finnish_document():
    data = Client().get("/tietosuojaseloste/?format=json").json()
    assert data["language"] == "fi"
    assert data["document"]["title"] == "Asiakasrekisterin tietosuojaseloste"


def test_an_unknown_version_is_a_404():
    assert Client().get("/tietosuojaseloste/?version=7").status_code == 404
    assert Client().get("/tietosuojaseloste/?version=x").status_code == 404


def test_the_portal_links_to_the_notice_in_its_language():
    assert 'href="/tietosuojaseloste/"' in Client().get("/portal/").content.decode()
    english = Client(headers={"accept-language": "en"}).get("/portal/").content.decode()
    assert 'href="/en/privacy-notice/"' in english


def test_every_mail_links_to_the_notice_in_the_mail_language(settings):
    from rekisteri.outbox.services import render_mail

    settings.PUBLIC_BASE_URL = "https://rekisteri.example"
    context = {"request": None, "reason": "x", "due_on": None}
    _subject, text, html_body = render_mail("rights/mail/extended", context, "fi")
    assert "https://rekisteri.example/tietosuojaseloste/" in text
    assert 'href="https://rekisteri.example/tietosuojaseloste/"' in html_body
    assert html_body.rstrip().endswith("</html>")
    _subject, text, html_body = render_mail("rights/mail/extended", context, "en")
    assert "https://rekisteri.example/en/privacy-notice/" in text
    assert "our privacy notice" in text
