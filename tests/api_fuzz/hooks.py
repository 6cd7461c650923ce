"""Checks of rekisteri's own for the schemathesis run (loaded through SCHEMATHESIS_HOOKS).

schemathesis's positive_data_acceptance cannot tell the two kinds of 422 apart, so the
configuration lets a 422 through and these checks hold the line it cannot draw.
"""

from __future__ import annotations

import json
import os

import schemathesis

# Set by tests/api_fuzz/test_api_fuzz.py: which of its clients is running.
CLIENT = os.environ.get("REKISTERI_FUZZ_CLIENT", "")
GATED_CLIENTS = {"anonymous", "no_nda"}


def _error_code(response) -> str | None:
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


@schemathesis.check
def schema_valid_input_is_not_a_validation_error(ctx, response, case):
    """Input the OpenAPI document allows is never refused as not matching the document.

    A rule of the register may still refuse it, as "rule_violation" (an id that names
    nothing, a combination not allowed): the document cannot state those.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    if _error_code(response) == "validation_error":
        raise AssertionError(
            "Schema-valid input refused as validation_error: the OpenAPI document allows what "
            f"the API refuses. Answer: {response.content[:500]!r}"
        )
    return None


@schemathesis.check
def gated_clients_get_no_data(ctx, response, case):
    """Section 11: without a token, or with one whose owner has no confidentiality agreement
    in force, no operation answers with data."""
    if CLIENT in GATED_CLIENTS and 200 <= response.status_code < 300:
        raise AssertionError(
            f"The {CLIENT} client got {response.status_code} from {case.method} {case.path}: "
            "personal data must be out of its reach."
        )
    return None
