"""No page shows the codes the register stores: every code has a label in both languages.

Two checks: every action, object type and origin the source writes into the audit trail has
a label (read from the source, so a new code without a label fails here), and the audit
browser and a request's history, rendered with every code present, show only labels.
"""

from __future__ import annotations

import ast
import html
import re
import typing
from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import override

from rekisteri.audit import actor as actor_module
from rekisteri.audit.actor import Actor
from rekisteri.audit.labels import AuditAction, AuditObjectType, Origin
from rekisteri.audit.services import Action, audit_record
from rekisteri.rights.models import Channel, RefusalKind, Status, Verification
from tests.source_trees import parsed

PACKAGE = Path(__file__).resolve().parent.parent / "rekisteri"


# --- The codes the source writes ----------------------------------------------------------


def _strings(node: ast.AST | None) -> set[str]:
    """The literal strings an expression can be (`"search" if q else "list"` gives both)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    if isinstance(node, ast.BoolOp):
        return set().union(*(_strings(value) for value in node.values))
    return set()  # a variable or a lookup: its values are literals elsewhere


def _audit_codes() -> tuple[set[str], set[str], set[str]]:
    actions: set[str] = set()
    object_types: set[str] = set()
    labels: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Dict):
                keys = {
                    key.value: value
                    for key, value in zip(node.keys, node.values, strict=True)
                    if isinstance(key, ast.Constant)
                }
                if "action" in keys and "object_type" in keys:  # an event for audit_record_many
                    actions |= _strings(keys["action"])
                    object_types |= _strings(keys["object_type"])
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            if name == "audit_record":
                actions |= _strings(keywords.get("action"))
                object_types |= _strings(keywords.get("object_type"))
            elif name == "_audit" and len(node.args) >= 3:  # rights.services: (actor, request, action)
                actions |= _strings(node.args[2])
            elif name == "audit" and len(node.args) >= 3:  # rights.fulfilment: (actor, action, object_type)
                actions |= _strings(node.args[1])
                object_types |= _strings(node.args[2])
            elif name == "system" and node.args:  # Actor.system("cli:demo", ...)
                labels |= _strings(node.args[0])
    return actions, object_types, labels


def test_every_action_and_object_type_written_to_the_trail_has_a_label():
    actions, object_types, labels = _audit_codes()
    # The scan must see what it checks: the common codes, and those of the requests' history.
    assert {"view", "create", "verify", "extend", "erase", "rectify", "password_reset"} <= actions
    assert {"person", "organization", "rights_request", "staff"} <= object_types
    assert {"portal", "cli:dsr"} <= labels

    assert actions - set(AuditAction.values) == set()
    assert object_types - set(AuditObjectType.values) == set()
    constants = {value for name, value in vars(Action).items() if name.isupper()}
    assert constants - set(AuditAction.values) == set()


def test_every_origin_has_a_label():
    assert set(typing.get_args(actor_module.Origin)) == set(Origin.values)


# --- The pages ------------------------------------------------------------------------------

SYSTEM_LABELS = [
    "portal",
    "anonymous",
    "cli:dsr",
    "cli:backup-keys",
    "task:dsr_digest",
    "task:something_new",
    "test",
]


def _stored_codes() -> set[str]:
    return (
        set(AuditAction.values)
        | set(AuditObjectType.values)
        | set(Origin.values)
        | set(Status.values)
        | set(Channel.values)
        | set(RefusalKind.values)
        | {v for v in Verification.values if v}
        | set(SYSTEM_LABELS)
    )


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def _raw_codes_in(text: str) -> set[str]:
    """Codes standing as words of their own (case-sensitive: labels are capitalised or translated)."""
    return {code for code in _stored_codes() if re.search(rf"(?<![\w:-]){re.escape(code)}(?![\w:-])", text)}


def _client(user, language: str) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def every_code_in_the_trail(db, cast, person):
    """Events with every action, object type, origin and kind of system actor, about `person`."""
    origins = list(Origin.values)
    for number, action in enumerate(AuditAction.values):
        audit_record(
            actor=Actor.system(
                SYSTEM_LABELS[number % len(SYSTEM_LABELS)], origin=origins[number % len(origins)]
            ),
            action=action,
            object_type="person",
            object_ids=[number],
            person_ids=[person.pk],
        )
    for number, object_type in enumerate(AuditObjectType.values):
        audit_record(
            actor=Actor.system("cli:demo", origin="cli"),
            action="view",
            object_type=object_type,
            object_ids=[number],
            person_ids=[person.pk],
        )
    for origin in origins:  # staff act through a door, which the page names (newest: on page one)
        audit_record(
            actor=Actor(user=cast.sales, origin=origin),
            action="view",
            object_type="person",
            person_ids=[person.pk],
        )


def _audit_pages(user, language: str, person) -> tuple[str, str]:
    """The first page, and the tables of every page (older ones through the "Older" link)."""
    client = _client(user, language)
    query = {"person": str(person.pk)}
    first, tables = None, []
    while True:
        body = client.get(reverse("web:audit"), query).content.decode()
        first = first or body
        tables.append(body[body.index("<table") : body.index("</table>")])
        older = re.search(r'rel="next" href="\?[^"]*before=(\d+)', body)
        if older is None:
            return first, "".join(tables)
        query["before"] = older.group(1)


def test_the_audit_browser_shows_no_raw_code_in_finnish(cast, every_code_in_the_trail, person):
    body, table = _audit_pages(cast.privacy_officer, "fi", person)

    assert '<html lang="fi">' in body
    assert _raw_codes_in(_text(table)) == set()
    with override("fi"):
        labels = {str(label) for label in [*AuditAction.labels, *AuditObjectType.labels, *Origin.labels]}
    assert {label for label in labels if label not in table} == set()
    assert "Komentorivi: rekisteri dsr" in table
    assert "Pyytäjä sähköisessä asioinnissa" in table
    assert "Taustatehtävä: pyyntöjen määräaikojen päivittäinen kooste" in table


def test_the_audit_browser_shows_labels_in_english(cast, every_code_in_the_trail, person):
    body, table = _audit_pages(cast.privacy_officer, "en", person)

    assert '<html lang="en">' in body
    cells = [
        html.unescape(cell)
        for cell in re.findall(r'<span class="(?:audit-action|cell-note)">(.*?)</span>', table)
    ]
    assert len(cells) >= 2 * (len(AuditAction.values) + len(AuditObjectType.values))
    with override("en"):
        labels = {str(label) for label in [*AuditAction.labels, *AuditObjectType.labels, *Origin.labels]}
    assert labels <= set(cells)
    assert set(cells) & _stored_codes() == set()
    assert not [cell for cell in cells if "_" in cell or "cli:" in cell or "task:" in cell]
    assert {"Identity check", "Data-subject request", "Command line", "Staff member"} <= set(cells)


@pytest.fixture
def requests_with_every_event(db, cast, person):
    """Two requests that went through every step a history tells, by staff and by the system."""
    from rekisteri.rights import services

    staff = Actor.for_user(cast.privacy_officer, "ui")
    dsr = services.request_create(
        actor=Actor.system("portal", origin="portal"),
        type="access",
        channel="portal",
        email="anna.virtanen@testi.fi",
    )
    dsr = services.request_verify(actor=staff, request=dsr, method=Verification.PHONE_CALLBACK)
    dsr = services.request_assign(actor=staff, request=dsr, assignee=cast.privacy_officer)
    dsr = services.request_start(actor=staff, request=dsr)
    dsr = services.request_extend(
        actor=staff, request=dsr, months=1, reason="Ruuhka", notified_on=date.today(), notified_via="email"
    )
    dsr = services.request_charge_fee(actor=staff, request=dsr, cents=1000, reason="Toistuva")
    for action, detail in (
        ("export", {"format": "json", "via": "download_link"}),
        ("digest", {"overdue": 1}),
    ):
        audit_record(
            actor=Actor.system("task:dsr_digest", origin="task"),
            action=action,
            object_type="rights_request",
            object_ids=[dsr.pk],
            detail={"type": dsr.type, **detail},
        )
    dsr = services.request_refuse(
        actor=staff, request=dsr, kind=RefusalKind.EXCESSIVE, reason="Toistuva pyyntö"
    )
    other = services.request_create(actor=staff, type="erasure", channel="letter", name="Anna Virtanen")
    other = services.request_verify(actor=staff, request=other, method=Verification.FAILED)
    other = services.request_withdraw(actor=staff, request=other)
    return dsr, other


def _history(body: str) -> str:
    start = body.index('id="history-heading"')
    return _text(body[start : body.index("</section>", start)])


_DETAIL_KEYS = re.compile(r"\b(status|verified|channel|method|fields|months|refusal_kind|format|via)\s*:")


def test_a_requests_history_is_told_in_finnish_sentences(cast, requests_with_every_event):
    client = _client(cast.privacy_officer, "fi")
    first, second = (
        _history(client.get(reverse("rights:request_detail", args=[dsr.pk])).content.decode())
        for dsr in requests_with_every_event
    )

    for text in (first, second):
        assert _raw_codes_in(text) == set()
        assert "True" not in text and "False" not in text
        assert not _DETAIL_KEYS.search(text)
    assert (
        "Pyyntö kirjattiin (saapumistapa: Sähköinen asiointi); henkilöllisyyttä ei ole vielä varmistettu."
        in first
    )
    assert "Henkilöllisyys varmistettiin: Soitettu takaisin rekisterissä olevaan numeroon." in first
    assert "Käsittelijä vaihdettiin." in first and "Käsittely aloitettiin." in first
    assert "Määräaikaa pidennettiin 1 kuukaudella; pyytäjälle ilmoitettiin (Sähköposti)." in first
    assert "Maksu kirjattiin." in first
    assert "Pyytäjä latasi vastauksen (JSON)." in first
    assert "Mukana tietosuojavastaavan päivittäisessä määräaikakoosteessa." in first
    assert "Pyynnön toteuttamisesta kieltäydyttiin:" in first
    assert "Pyytäjä sähköisessä asioinnissa" in first
    assert "Pyytäjän henkilöllisyyttä ei voitu varmistaa." in second
    assert "Pyytäjä perui pyynnön." in second


def test_a_requests_history_is_told_in_english_sentences(cast, requests_with_every_event):
    dsr, _ = requests_with_every_event
    body = (
        _client(cast.privacy_officer, "en")
        .get(reverse("rights:request_detail", args=[dsr.pk]))
        .content.decode()
    )

    text = _history(body)
    assert (
        "The request was registered (came by: Self-service portal); the identity is not verified yet." in text
    )
    assert "The deadline was extended by 1 month; the requester was told by E-mail." in text
    # The old "status: awaiting_verification · verified: False" entries are gone.
    assert " · " not in text and "True" not in text and "False" not in text
    assert "awaiting_verification" not in text and "phone_callback" not in text
