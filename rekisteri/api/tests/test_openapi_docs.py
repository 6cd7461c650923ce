"""The OpenAPI document and the Swagger page: public, self-hosted, within the CSP."""

from __future__ import annotations

import re

from django.test import Client

# The student register (rekisteri.training.api).
TRAINING_PATHS = {
    "/api/v1/courses",
    "/api/v1/course-instances",
    "/api/v1/course-instances/{instance_id}",
    "/api/v1/enrollments",
    *(f"/api/v1/enrollments/{{enrollment_id}}/{action}" for action in ("status", "result", "certificate")),
    "/api/v1/organizations/{organization_id}/training-report",
    "/api/v1/organizations/{organization_id}/training-report/send",
    "/api/v1/course-instances/{instance_id}/license-export",
    "/api/v1/persons/{person_id}/disclosure-permissions",
    "/api/v1/persons/{person_id}/training-disclosures",
    "/api/v1/persons/{person_id}/disclosures",
    "/api/v1/persons/{person_id}/authority-disclosures",
}
# Art. 14 informing (rekisteri.notice.api).
SOURCE_INFORMATION_PATHS = {
    "/api/v1/source-information",
    "/api/v1/source-information/send-due",
    "/api/v1/source-information/{person_id}/send",
    "/api/v1/source-information/{person_id}/record",
}


def test_the_openapi_document_lists_every_endpoint_and_the_bearer_scheme(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"] == {"ApiTokenAuth": {"type": "http", "scheme": "bearer"}}
    paths = schema["paths"]
    assert set(paths) == {
        "/api/v1/organizations",
        "/api/v1/organizations/{organization_id}",
        "/api/v1/persons",
        "/api/v1/persons/export",
        "/api/v1/persons/{person_id}",
        "/api/v1/persons/{person_id}/interactions",
        "/api/v1/persons/{person_id}/merge",
        "/api/v1/persons/{person_id}/consents",
        "/api/v1/persons/{person_id}/consents/{consent_id}/withdraw",
        "/api/v1/lists",
        "/api/v1/lists/{slug}/subscribers",
        "/api/v1/campaigns",
        "/api/v1/campaigns/{campaign_id}",
        "/api/v1/campaigns/{campaign_id}/audience",
        *(
            f"/api/v1/campaigns/{{campaign_id}}/{action}"
            for action in ("send", "pause", "resume", "cancel", "schedule", "report")
        ),
        "/api/v1/topics",
        "/api/v1/topics/{slug}/wordings",
        "/api/v1/persons/{person_id}/role-relevance",
        "/api/v1/persons/{person_id}/role-relevance/{relevance_id}/remove",
        "/api/v1/requests",
        "/api/v1/requests/{request_id}",
        "/api/v1/erasures",
        "/api/v1/erasures/{erasure_id}",
        *(
            f"/api/v1/requests/{{request_id}}/{action}"
            for action in ("verify", "assign", "start", "extend", "refuse", "fee", "withdraw", "fulfil")
        ),
        *TRAINING_PATHS,
        *SOURCE_INFORMATION_PATHS,
    }
    assert set(paths["/api/v1/persons/{person_id}"]) == {"get", "patch", "delete"}
    export = paths["/api/v1/persons/export"]["post"]["responses"]["200"]["content"]
    assert set(export) == {
        "text/csv; charset=utf-8",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    list_parameters = {p["name"] for p in paths["/api/v1/persons"]["get"]["parameters"]}
    assert {"q", "organization_id", "category", "basis_state", "owner_company_id", "sort"} <= list_parameters
    assert set(paths["/api/v1/organizations/{organization_id}"]) == {"get", "put", "patch", "delete"}
    for operations in paths.values():
        for operation in operations.values():
            assert operation["security"] == [{"ApiTokenAuth": []}]
            assert "422" in operation["responses"] or "401" in operation["responses"]
    assert {"PersonIn", "PersonPatch", "PersonOut", "PersonDetailOut", "ErrorOut"} <= set(
        schema["components"]["schemas"]
    )


def test_the_docs_page_loads_its_assets_from_our_own_origin(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "https://" not in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    # No inline executable script: only external files and a JSON data block.
    for attributes in re.findall(r"<script([^>]*)>", html):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert Client().get(asset).status_code == 200, asset
    assert "/static/ninja/swagger-ui-bundle.js" in html
