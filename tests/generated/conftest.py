"""The published contracts of the private stack's services, for generated tests."""

from __future__ import annotations

import pytest
import schemathesis


@pytest.fixture(scope="session")
def openapi_schemas(private_stack):
    """Each service's schema, loaded from its own ``/openapi.json``."""
    return {
        name: schemathesis.openapi.from_url(f"{private_stack[name]}/openapi.json")
        for name in ("catalogue", "packages", "bookings", "webhooks")
    }


@pytest.fixture(scope="session")
def gateway_schema(private_stack):
    return schemathesis.graphql.from_url(f"{private_stack['gateway']}/graphql")
