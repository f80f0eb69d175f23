"""The packages service answers as its published contract says."""

from __future__ import annotations

from services.common.validation import validator
from tests.support import SEED_ORACLE_PACKAGE, assert_openapi_refs_resolve


def test_responses_match_the_published_schemas(client):
    assert not list(validator("packages/package-page").iter_errors(client.get("/packages?limit=100&total=true").json))
    assert not list(validator("packages/package").iter_errors(client.get(f"/packages/{SEED_ORACLE_PACKAGE}").json))
    quote = client.post(
        f"/packages/{SEED_ORACLE_PACKAGE}/quotes", json={"currency": "JPY", "interpreterLanguage": "zh"}
    ).json
    assert not list(validator("packages/quote").iter_errors(quote))
    assert not list(validator("packages/exchange-rates").iter_errors(client.get("/exchange-rates").json))
    problem = client.post(f"/packages/{SEED_ORACLE_PACKAGE}/quotes", json={"followUpPlan": "NOPE"})
    assert problem.status_code == 422 and not list(validator("common/problem").iter_errors(problem.json))


def test_openapi_lists_every_route_and_every_reference_resolves(client):
    document = client.get("/openapi.json").json
    assert {
        "/packages",
        "/packages/search",
        "/packages/{package_id}",
        "/packages/{package_id}/publish",
        "/packages/{package_id}/archive",
        "/packages/{package_id}/versions/{version}",
        "/packages/{package_id}/quotes",
        "/quotes/{quote_id}",
        "/quotes/{quote_id}/lock",
        "/quotes/{quote_id}/unlock",
        "/exchange-rates",
    } <= set(document["paths"])
    assert document["paths"]["/packages"]["post"]["security"] == [{"serviceToken": []}]
    version_params = document["paths"]["/packages/{package_id}/versions/{version}"]["get"]["parameters"]
    assert {p["name"]: p["schema"]["type"] for p in version_params if p["in"] == "path"} == {
        "package_id": "string",
        "version": "integer",
    }
    assert_openapi_refs_resolve(document)
