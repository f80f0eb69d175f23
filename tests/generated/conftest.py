"""Services and a gateway of their own for generated tests: what they write stays out of other tests' data."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import ExitStack

import pytest
import schemathesis

from tests.support import running_service

SERVICES = ("catalogue", "packages", "bookings")


@pytest.fixture(scope="session")
def generated_stack(mongo_uri, mongo_client):
    suffix = uuid.uuid4().hex[:8]
    env = {"MONGO_URI": mongo_uri, "LOG_LEVEL": "ERROR", "GATEWAY_DB_NAME": f"gen_gateway_{suffix}",
           **{f"{name.upper()}_DB_NAME": f"gen_{name}_{suffix}" for name in SERVICES}}
    for name in SERVICES:
        subprocess.run([sys.executable, "-m", f"services.{name}", "seed"], env={**os.environ, **env}, check=True,
                       stdout=subprocess.DEVNULL)
    with ExitStack() as stack:
        catalogue = stack.enter_context(running_service("catalogue", env))
        packages = stack.enter_context(running_service("packages", {**env, "CATALOGUE_URL": catalogue}))
        bookings = stack.enter_context(running_service("bookings", {**env, "PACKAGES_URL": packages}))
        gateway = stack.enter_context(running_service("gateway", {
            **env, "CATALOGUE_URL": catalogue, "PACKAGES_URL": packages, "BOOKINGS_URL": bookings,
            "GATEWAY_INTROSPECTION": "true", "GATEWAY_RATE_LIMIT": "1000000/minute"}))
        yield {"catalogue": catalogue, "packages": packages, "bookings": bookings, "gateway": gateway}
    for database in [env["GATEWAY_DB_NAME"], *(env[f"{name.upper()}_DB_NAME"] for name in SERVICES)]:
        mongo_client.drop_database(database)


@pytest.fixture(scope="session")
def catalogue_schema(generated_stack):
    return schemathesis.openapi.from_url(f"{generated_stack['catalogue']}/openapi.json")


@pytest.fixture(scope="session")
def packages_schema(generated_stack):
    return schemathesis.openapi.from_url(f"{generated_stack['packages']}/openapi.json")


@pytest.fixture(scope="session")
def bookings_schema(generated_stack):
    return schemathesis.openapi.from_url(f"{generated_stack['bookings']}/openapi.json")


@pytest.fixture(scope="session")
def gateway_schema(generated_stack):
    return schemathesis.graphql.from_url(f"{generated_stack['gateway']}/graphql")
