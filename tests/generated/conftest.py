"""The published contracts of the private stack's services, for generated tests."""
from __future__ import annotations

import pytest
import schemathesis


@pytest.fixture(scope="session")
def catalogue_schema(private_stack):
    return schemathesis.openapi.from_url(f"{private_stack['catalogue']}/openapi.json")


@pytest.fixture(scope="session")
def packages_schema(private_stack):
    return schemathesis.openapi.from_url(f"{private_stack['packages']}/openapi.json")


@pytest.fixture(scope="session")
def bookings_schema(private_stack):
    return schemathesis.openapi.from_url(f"{private_stack['bookings']}/openapi.json")


@pytest.fixture(scope="session")
def gateway_schema(private_stack):
    return schemathesis.graphql.from_url(f"{private_stack['gateway']}/graphql")
