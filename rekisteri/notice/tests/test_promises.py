"""The promise map: every promise of the notice names existing code and tests (section 1-12)."""

from __future__ import annotations

import pytest
from django.test import Client

from rekisteri.notice.promises import MAP_FILE, Status, load, promise_report, reference_exists


def test_every_promise_has_a_test_and_every_named_test_and_code_exists():
    report = promise_report()
    broken = [
        (promise.id, promise.status, promise.missing_tests, promise.missing_code)
        for promise in report
        if promise.status in (Status.NO_TEST, Status.MISSING_TEST, Status.MISSING_CODE)
    ]
    assert broken == []


def test_the_map_covers_every_section_with_about_sixty_promises():
    promises = load()
    assert len(promises) >= 55
    assert {promise.section for promise in promises} == set(range(1, 13))
    ids = [promise.id for promise in promises]
    assert len(ids) == len(set(ids))
    assert all(promise.text_fi and promise.text_en for promise in promises)


def test_a_promise_no_code_keeps_says_why():
    for promise in promise_report():
        if promise.status == Status.NO_CODE:
            assert promise.note, promise.id


def test_the_check_catches_a_promise_without_a_test_and_a_test_that_is_gone(tmp_path):
    map_file = tmp_path / "promises.toml"
    gone = "rekisteri/notice/tests/test_promises.py::test_that_was_renamed"
    here = "rekisteri/notice/tests/test_promises.py::test_references_name_files_functions_and_methods"
    module = "rekisteri/notice/promises.py"
    map_file.write_text(
        f"[[promise]]\nid = 'a'\nsection = 1\ntext_fi = 'x'\ncode = ['{module}::load']\ntests = []\n\n"
        f"[[promise]]\nid = 'b'\nsection = 2\ntext_fi = 'y'\ncode = ['{module}::nothing']\n"
        f"tests = ['{gone}']\n\n"
        f"[[promise]]\nid = 'c'\nsection = 3\ntext_fi = 'z'\ncode = ['{module}::Promise::status']\n"
        f"tests = ['{here}']\n",
        encoding="utf-8",
    )
    statuses = {promise.id: promise.status for promise in promise_report(map_file)}
    assert statuses == {"a": Status.NO_TEST, "b": Status.MISSING_TEST, "c": Status.KEPT}


def test_references_name_files_functions_and_methods():
    assert reference_exists("rekisteri/notice/promises.py")
    assert reference_exists("rekisteri/notice/promises.py::promise_report")
    assert reference_exists("rekisteri/notice/promises.py::MAP_FILE")
    assert not reference_exists("rekisteri/notice/missing.py")
    assert not reference_exists("rekisteri/notice/promises.toml::promise")
    assert MAP_FILE.is_file()


@pytest.mark.django_db
def test_the_privacy_officer_sees_each_promise_with_its_status(cast):
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/notice/promises/", headers={"accept-language": "en"}).content.decode()
    assert 'id="s7-two-years"' in page and 'id="s12-announce-ahead"' in page
    assert "promise-status--kept" in page and "promise-status--no_code" in page
    assert "no direct controller-to-controller transfer" in page
