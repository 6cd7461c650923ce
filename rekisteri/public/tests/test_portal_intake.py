"""The public portal's request form: no login, no enumeration, throttled, nothing personal logged."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client

from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.rights.models import Channel, DataSubjectRequest, PortalThrottle, Status

pytestmark = pytest.mark.django_db

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
KNOWN = "anna.virtanen@testi.fi"
UNKNOWN = "nobody.here@example.fi"


def _submit(client: Client, email: str, type: str = "access", details: str = "", ip: str = "192.0.2.10"):
    return client.post("/portal/", {"type": type, "email": email, "details": details}, REMOTE_ADDR=ip)


def _stripped(response) -> bytes:
    return CSRF.sub(b'name="csrfmiddlewaretoken" value=""', response.content)


def test_the_portal_opens_without_login_and_lists_the_rights(client):
    response = client.get("/portal/")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="fi"' in body
    for value in ("access", "rectification", "erasure", "restriction", "portability", "objection"):
        assert f'value="{value}"' in body
    assert 'value="consent_withdrawal"' in body
    assert "Tietosuojavaltuutetun toimisto" in body
    # CSP: no inline script or style anywhere on the page.
    assert "<script" not in body and "style=" not in body and "<style" not in body


def test_the_answer_is_the_same_byte_for_byte_for_a_known_and_an_unknown_address(person):
    known = _submit(Client(), KNOWN)
    unknown = _submit(Client(), UNKNOWN)

    assert known.status_code == unknown.status_code == 200
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]
    assert _stripped(known) == _stripped(unknown)
    # Both got the same work done: a request awaiting verification and one mail each.
    assert len(deliver_outbox()) == 2
    assert sorted(m.to[0] for m in deliver_outbox()) == sorted([KNOWN, UNKNOWN])
    requests = list(DataSubjectRequest.objects.all())
    assert {r.status for r in requests} == {Status.AWAITING_VERIFICATION}
    assert {r.channel for r in requests} == {Channel.PORTAL}
    # Neither is tied to a person yet: the register is looked up only once the address is
    # verified, so a known address costs the visitor no more time than an unknown one.
    assert [r.person_id for r in requests] == [None, None]


def test_the_person_is_found_when_the_address_is_verified_and_the_mails_follow(person):
    import re

    from rekisteri.outbox.models import OutgoingMail
    from rekisteri.rights.services import portal_verify

    _submit(Client(), KNOWN)
    [message] = deliver_outbox()
    token = re.search(r"/portal/verify/([\w-]+)/", message.body)[1]

    request = portal_verify(token=token)

    assert request.person_id == person.pk
    assert DataSubjectRequest.objects.get().person_id == person.pk
    [mail] = OutgoingMail.objects.all()
    assert mail.person_id == person.pk  # erasure of the person finds it


def test_the_answer_does_not_echo_the_address_or_the_reference(person):
    response = _submit(Client(), KNOWN, details="Haluan nähdä tietoni.")

    body = response.content.decode()
    assert KNOWN not in body
    assert DataSubjectRequest.objects.get().reference not in body
    assert "Haluan nähdä" not in body


def test_the_verification_mail_holds_a_single_use_link_and_its_expiry(person, settings):
    settings.PUBLIC_BASE_URL = "https://rekisteri.example.fi"
    _submit(Client(), KNOWN)

    [message] = deliver_outbox()
    dsr = DataSubjectRequest.objects.get()
    assert dsr.reference in message.subject
    assert re.search(r"https://rekisteri\.example\.fi/portal/verify/[\w-]{20,}/", message.body)
    assert "24" in message.body
    html = message.alternatives[0][0]
    assert 'href="https://rekisteri.example.fi/portal/verify/' in html


def test_a_malformed_address_is_a_form_error_and_nothing_is_created(client):
    response = _submit(client, "not an address")

    assert response.status_code == 200
    assert 'id="id_email_error"' in response.content.decode()
    assert not DataSubjectRequest.objects.exists()
    assert not deliver_outbox()


def test_an_unknown_right_is_a_form_error(client):
    response = _submit(client, UNKNOWN, type="everything")

    assert response.status_code == 200
    assert 'id="id_type_error"' in response.content.decode()
    assert not DataSubjectRequest.objects.exists()


def test_too_many_requests_for_one_address_get_a_generic_429(person, settings):
    settings.PORTAL_LIMIT_PER_ADDRESS = 2
    for number in range(2):
        assert _submit(Client(), KNOWN, ip=f"192.0.2.{number}").status_code == 200

    known = _submit(Client(), KNOWN, ip="192.0.2.50")

    assert known.status_code == 429
    assert DataSubjectRequest.objects.count() == 2
    assert len(deliver_outbox()) == 2
    # Another address is still served.
    assert _submit(Client(), UNKNOWN, ip="192.0.2.51").status_code == 200


def test_the_address_limit_ignores_letter_case(person, settings):
    settings.PORTAL_LIMIT_PER_ADDRESS = 1
    assert _submit(Client(), KNOWN, ip="192.0.2.1").status_code == 200

    assert _submit(Client(), KNOWN.upper(), ip="192.0.2.2").status_code == 429


def test_too_many_requests_from_one_client_get_a_generic_429(settings):
    settings.PORTAL_LIMIT_PER_CLIENT = 2
    for number in range(2):
        assert _submit(Client(), f"person{number}@example.fi", ip="198.51.100.7").status_code == 200

    response = _submit(Client(), "person9@example.fi", ip="198.51.100.7")

    assert response.status_code == 429
    assert DataSubjectRequest.objects.count() == 2
    # Another client is still served.
    assert _submit(Client(), "person9@example.fi", ip="198.51.100.8").status_code == 200


def test_the_429_page_is_the_same_for_a_known_and_an_unknown_address(person, settings):
    settings.PORTAL_LIMIT_PER_ADDRESS = 0

    known = _submit(Client(), KNOWN)
    unknown = _submit(Client(), UNKNOWN)

    assert known.status_code == unknown.status_code == 429
    assert _stripped(known) == _stripped(unknown)


def test_the_throttle_keeps_no_addresses_or_client_addresses(settings):
    _submit(Client(), UNKNOWN, ip="203.0.113.99")

    keys = " ".join(PortalThrottle.objects.values_list("key", flat=True))
    assert "nobody" not in keys and "203.0.113" not in keys


def test_the_request_takes_the_language_of_the_page(client):
    client.cookies["django_language"] = "en"

    response = _submit(client, UNKNOWN)

    assert 'lang="en"' in response.content.decode()
    assert DataSubjectRequest.objects.get().language == "en"
    assert deliver_outbox()[0].subject.startswith("Confirm your data protection request")


def test_finnish_is_the_default_language_of_the_page_and_the_mail(client):
    _submit(client, UNKNOWN)

    assert DataSubjectRequest.objects.get().language == "fi"
    assert "Vahvista" in deliver_outbox()[0].subject


def test_nothing_personal_reaches_the_logs(person, caplog):
    caplog.set_level(logging.DEBUG)
    client = Client()
    _submit(client, KNOWN, details="Salainen viesti")
    token = re.search(r"/portal/verify/([\w-]+)/", deliver_outbox()[0].body)[1]
    client.get(f"/portal/verify/{token}/")
    client.post(f"/portal/verify/{token}/")
    client.post(f"/portal/verify/{token}/")  # a used link: 410

    assert KNOWN not in caplog.text
    assert token not in caplog.text
    assert "Salainen" not in caplog.text


def test_the_language_switch_on_the_portal_needs_no_login(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})

    assert response.status_code == 302 and response["Location"] == "/portal/"
    page = client.get("/portal/").content.decode()
    assert 'lang="en"' in page and "Your data protection rights" in page
    assert "Office of the Data Protection Ombudsman" in page
    assert 'value="fi" lang="fi">Suomeksi' in page


@pytest.mark.parametrize("language", ["fi", "en"])
def test_the_rights_are_explained_in_the_order_of_the_buttons(client, language):
    import html as html_module

    from django.utils.translation import override

    from rekisteri.public.forms import PORTAL_RIGHTS

    client.cookies["django_language"] = language
    body = client.get("/portal/").content.decode()

    buttons = re.findall(r'<input type="radio" name="type" value="(\w+)"', body)
    headings = [html_module.unescape(text) for text in re.findall(r"<dt>(.*?)</dt>", body)]
    with override(language):
        titles = [str(right.title) for right in PORTAL_RIGHTS]
    assert buttons == [right.type for right in PORTAL_RIGHTS]
    # The list explains the same rights in the same order, and ends with the complaint route.
    assert headings[:-1] == titles and len(headings) == len(buttons) + 1
    assert headings[0] == ("Access your data (Art. 15)" if language == "en" else "Pääsy tietoihin (15 art.)")


def test_behind_a_trusted_proxy_each_visitor_has_their_own_limit(settings):
    settings.TRUSTED_PROXIES = 1
    settings.PORTAL_LIMIT_PER_CLIENT = 2
    settings.PORTAL_LIMIT_PER_ADDRESS = 100

    def via_proxy(visitor, n):
        return Client().post(
            "/portal/",
            {"type": "access", "email": f"someone{n}@example.fi", "details": ""},
            REMOTE_ADDR="10.0.0.254",
            HTTP_X_FORWARDED_FOR=visitor,
        )

    assert [via_proxy("203.0.113.1", n).status_code for n in range(3)] == [200, 200, 429]
    # Another visitor behind the same proxy is not held back by the first one's limit,
    assert via_proxy("203.0.113.2", 3).status_code == 200
    # and the first cannot escape theirs by writing addresses of their own before the proxy's.
    assert via_proxy("198.51.100.9, 203.0.113.1", 4).status_code == 429
