"""On a phone (390 px) the staff lists keep their key columns; the others step aside.

The rule lives in app.css (a media query hides `.col-secondary`); these tests check that each
list marks exactly its secondary columns, header and cells alike, so the key ones stay.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from rekisteri.rights.services import request_create

pytestmark = pytest.mark.django_db

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"


def _columns(body: str) -> tuple[list[str], list[str]]:
    """The header texts of the page's table: (always shown, hidden on a phone)."""
    head = body[body.index("<thead>") : body.index("</thead>")]
    key, secondary = [], []
    for attrs, text in re.findall(r"<th(\s[^>]*)?>(.*?)</th>", head, re.S):
        label = re.sub(r"<[^>]+>", "", text).strip()
        (secondary if "col-secondary" in attrs else key).append(label)
    return key, secondary


def _rows_match_the_header(body: str) -> None:
    table = body[body.index("<table") : body.index("</table>")]
    header_secondary = len(_columns(body)[1])
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table[table.index("<tbody>") :], re.S)
    assert rows
    for row in rows:
        assert len(re.findall(r'<t[dh][^>]*class="[^"]*col-secondary', row)) == header_secondary


def test_the_stylesheet_hides_secondary_columns_below_a_phone_width():
    css = CSS.read_text(encoding="utf-8")
    block = css[css.index("@media (max-width: 40rem)") :]
    block = block[: block.index("\n}\n")]
    # 40rem is 640 px: a 390 px phone is well inside.
    assert ".table .col-secondary { display: none; }" in block
    assert ".only-narrow { display: block; }" in block


def test_the_audit_trail_keeps_time_action_and_persons(login, cast, person):
    login(cast.sales).get(reverse("web:person_card", args=[person.pk]))

    body = login(cast.privacy_officer).get(reverse("web:audit")).content.decode()

    assert _columns(body) == (
        ["Aika", "Toiminto", "Henkilöt"],
        ["#", "Tekijä", "Käyttötarkoitus", "Kohteiden tunnisteet"],
    )
    _rows_match_the_header(body)


def test_the_organization_list_keeps_name_and_relationship(login, cast, organization):
    body = login(cast.sales).get(reverse("web:organizations")).content.decode()

    key, secondary = _columns(body)
    assert key == ["Nimi", "Asiakkuus"] and secondary == ["Y-tunnus", "Kaupunki"]
    _rows_match_the_header(body)
    # The business ID, hidden as a column, stays under the name.
    assert '<span class="cell-note only-narrow">2077474-0</span>' in body


def test_the_request_list_keeps_reference_status_and_due_date(cast, system_actor, login):
    request_create(actor=system_actor, type="access", channel="letter")

    body = login(cast.privacy_officer).get(reverse("rights:request_list")).content.decode()

    key, secondary = _columns(body)
    assert key == ["Viite", "Tila", "Määräaika"]
    assert len(secondary) == 4
    _rows_match_the_header(body)
    assert 'class="cell-note only-narrow">Pääsy tietoihin' in body


def test_the_staff_list_keeps_names_and_the_action(login, cast):
    body = login(cast.admin).get(reverse("web:staff_list")).content.decode()

    key, secondary = _columns(body)
    assert key[0] == "Nimi" and secondary == ["Rooli", "Salasana", "Kaksivaiheinen kirjautuminen"]
    _rows_match_the_header(body)
