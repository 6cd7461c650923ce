from __future__ import annotations

import pytest

from rekisteri.api.tests.conftest import anonymous, api_as, raw_token  # noqa: F401


@pytest.fixture
def newsletter(db, system_actor):
    from rekisteri.marketing.services.consents import topic_create

    return topic_create(actor=system_actor, slug="uutiset", name_fi="Uutiset", name_en="News")
