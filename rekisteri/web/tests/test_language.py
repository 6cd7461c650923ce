import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_finnish_is_the_default_language(login, cast, person):
    body = login(cast.sales).get(reverse("web:person_card", args=[person.pk])).content.decode()

    assert '<html lang="fi">' in body
    assert "Yhteystiedot" in body
    assert "Asiakkaan edustaja" in body


def test_the_language_switch_renders_english(login, cast, person):
    client = login(cast.sales)
    card = reverse("web:person_card", args=[person.pk])

    response = client.post(reverse("set_language"), {"language": "en", "next": card}, follow=True)

    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Contact details" in body
    assert "Customer representative" in body
    assert "Managing the customer relationship and customer service" in body
    assert 'value="fi"' in body


def test_the_switch_is_a_form_post_in_the_header(login, cast):
    body = login(cast.sales).get(reverse("web:dashboard")).content.decode()

    assert f'action="{reverse("set_language")}" method="post"' in body
    assert 'name="language" value="en"' in body


def test_service_errors_are_shown_in_english_after_switching(login, cast):
    client = login(cast.sales)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    body = client.post(
        reverse("web:person_new"), {"first_name": "A", "last_name": "B", "phone": "040 12"}
    ).content.decode()

    assert "This phone number is not valid" in body
