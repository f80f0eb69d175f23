"""The GraphQL over HTTP specification, to the letter: the media types, the status codes, and the
specification's own conformance suite (graphql-http's server audit) against a running gateway."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support import ROOT

STRICT = {"Accept": "application/graphql-response+json"}
LEGACY = {"Accept": "application/json"}


def post(gateway, body: dict, headers: dict):
    return gateway.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{ scarTypes { code }"},  # does not parse
        {"query": "{ scarTypes { nothingLikeThis } }"},  # does not validate
        {"query": "query Q($n: Int!) { clinics(first: $n) { totalCount } }", "variables": {"n": "many"}},  # coercion
        {"query": "query Q($n: Int!) { clinics(first: $n) { totalCount } }"},  # a required variable missing
    ],
    ids=["parse", "validation", "coercion", "missing-variable"],
)
def test_a_request_error_is_a_400_without_data_for_clients_that_accept_graphql_responses(gateway, body):
    answer = post(gateway, body, STRICT)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.headers["Content-Type"].startswith("application/graphql-response+json")
    assert "data" not in answer.json and answer.json["errors"]


def test_a_request_error_is_a_200_without_data_for_clients_that_accept_only_json(gateway):
    answer = post(gateway, {"query": "{ scarTypes { nothingLikeThis } }"}, LEGACY)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    assert "data" not in answer.json and answer.json["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_a_field_error_keeps_the_data_and_a_200_for_either_media_type(gateway):
    for headers in (STRICT, LEGACY):
        answer = post(gateway, {"query": '{ clinic(slug: "no-such-clinic") { slug } scarTypes { code } }'}, headers)
        assert answer.status_code == 200 and answer.json["data"]["scarTypes"], answer.json


def test_a_mutation_sent_with_get_is_405_and_says_to_post(gateway):
    answer = gateway.get(
        "/graphql",
        query_string={"query": 'mutation { cancelBooking(reference: "CB-AAAAAAAA") { errors { code } } }'},
        headers=STRICT,
    )
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"
    assert "data" not in answer.json and answer.json["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    "body",
    [{}, {"query": 1}, {"query": "{ scarTypes { code } }", "operationName": 7}, {"query": "{ x }", "variables": [1]}],
    ids=["no-query", "number-query", "number-operation-name", "list-variables"],
)
def test_a_malformed_request_is_a_400_whatever_it_accepts(gateway, body):
    for headers in (STRICT, LEGACY):
        answer = post(gateway, body, headers)
        assert answer.status_code == 400 and "data" not in answer.json, (body, answer.json)


def test_the_specifications_audit_passes_without_a_warning(private_stack):
    """graphql-http's server audit (the conformance suite of the GraphQL over HTTP specification, installed by
    the Makefile from tools/graphql/package-lock.json), against a gateway over the real services: every audit,
    MUST, SHOULD and MAY, is ok."""
    audit = subprocess.run(
        ["node", "audit.mjs", f"{private_stack['gateway']}/graphql"],
        cwd=ROOT / "tools" / "graphql",
        capture_output=True,
        text=True,
        timeout=120,
    )
    results = [json.loads(line) for line in audit.stdout.splitlines() if line.strip()]
    assert len(results) > 50, audit.stderr
    assert [r for r in results if r["status"] != "ok"] == []
    assert audit.returncode == 0, audit.stderr
