"""Generated requests against each service's published OpenAPI contract and the gateway's GraphQL
schema: never a 5xx, and every answer conforms to what the contract says (status code, content
type, headers, body schema). Examples per operation are bounded so the suite stays fast.

The operations are driven through Hypothesis directly (schemathesis's pytest plugin does not
support this pytest version); each operation is its own test case.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.common.config import Settings
from services.common.tokens import Principal, mint

# GENERATED_EXAMPLES=200 GENERATED_SEED=random make test PYTEST_ARGS=tests/generated digs deeper than CI does.
EXAMPLES = settings(
    max_examples=int(os.environ.get("GENERATED_EXAMPLES", "15")),
    deadline=None,
    derandomize=os.environ.get("GENERATED_SEED") != "random",
    database=None,
    suppress_health_check=list(HealthCheck),
)
# No 5xx, and every answer as published. Not "any schema-valid request is accepted": the contracts
# have rules across parameters OpenAPI cannot state (``ids`` excludes the filters), refused with a
# precise 400 that the contract documents.
OPENAPI_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
PLATFORM = {
    "Authorization": "Bearer "
    + mint(Principal(role="PLATFORM_ADMIN", subject="generated"), Settings(service="x").token_secret, 3600)
}


def run_operations(schema, validate) -> None:
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @EXAMPLES
        def check(case):
            validate(case)

        try:
            check()
        except Exception as error:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("service", ["catalogue", "packages", "bookings", "webhooks"])
def test_every_service_keeps_its_openapi_contract(service, openapi_schemas):
    run_operations(
        openapi_schemas[service], lambda case: case.call_and_validate(headers=PLATFORM, checks=OPENAPI_CHECKS)
    )


def test_the_gateway_answers_any_valid_graphql_query_without_a_server_error(gateway_schema):
    run_operations(gateway_schema, graphql_answer_is_sound)


def graphql_answer_is_sound(case) -> None:
    """Refusals of bad input are ordinary GraphQL errors with a code; what must never appear is a
    5xx, an internal error, a service failing (UPSTREAM_UNAVAILABLE while every service is up), or
    a null where the schema promises a value."""
    response = case.call()
    assert response.status_code < 500, response.text
    errors = response.json().get("errors") or []
    codes = {(error.get("extensions") or {}).get("code") for error in errors}
    assert not codes & {"INTERNAL_ERROR", "UPSTREAM_UNAVAILABLE", None}, (case.body, response.text)
    assert not any("non-nullable" in error["message"] for error in errors), response.text
