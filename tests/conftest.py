"""Test fixtures: one real MongoDB wire-protocol server for the session.

With MONGO_URI set the suite uses that MongoDB; otherwise it starts SecantusDB's
``secantusd-py`` as its own process on a free port with a temporary directory, and
stops it at the end. Every test gets databases of its own.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import ExitStack

import pymongo
import pytest

from services.common.app import stop_read_models
from services.common.config import Settings
from services.common.tokens import Principal, mint

from .support import database_server, running_service


@pytest.fixture(scope="session")
def mongo_uri():
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    with database_server() as uri:
        yield uri


@pytest.fixture(scope="session")
def mongo_client(mongo_uri):
    client = pymongo.MongoClient(mongo_uri)
    yield client
    client.close()


@pytest.fixture
def settings_for(mongo_uri):
    """Settings for a service, on a database no other test uses."""
    def make(service: str, **overrides) -> Settings:
        base = Settings(service=service, mongo_uri=mongo_uri, database=f"test_{service}_{uuid.uuid4().hex[:10]}",
                        log_level="WARNING")
        return base.with_overrides(**overrides)
    return make


@pytest.fixture
def make_app(settings_for, mongo_client):
    """A service app on databases of its own, prepared (seeded) in its app context; dropped afterwards."""
    databases, apps = [], []

    def make(service: str, create_app, prepare=None, **overrides):
        settings = settings_for(service, **overrides)
        databases.append(settings.database)
        app = create_app(settings)
        apps.append(app)
        if prepare:
            with app.app_context():
                prepare()
        return app

    yield make
    for app in apps:
        stop_read_models(app)
    for database in databases:
        mongo_client.drop_database(database)


@pytest.fixture
def bearer():
    """``Authorization`` headers carrying a service token for a principal."""
    def make(role: str, *, clinic: str | None = None, agency: str | None = None,
             secret: str | None = None, ttl: int = 60, now: float | None = None) -> dict:
        principal = Principal(role=role, subject=f"test-{role.lower()}", clinic=clinic, agency=agency)
        token = mint(principal, secret or Settings(service="x").token_secret, ttl, now=now)
        return {"Authorization": f"Bearer {token}"}
    return make


@pytest.fixture(scope="session")
def catalogue_url(mongo_uri, mongo_client):
    """A real catalogue service over HTTP, seeded, shared by the tests of the services that call it."""
    database = f"test_catalogue_http_{uuid.uuid4().hex[:8]}"
    env = {"MONGO_URI": mongo_uri, "CATALOGUE_DB_NAME": database}
    subprocess.run([sys.executable, "-m", "services.catalogue", "seed"], env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)
    with running_service("catalogue", env) as base:
        yield base
    mongo_client.drop_database(database)


def _seeded_service(name: str, mongo_uri: str, mongo_client, env: dict, seed: tuple = ("seed",)):
    database = f"test_{name}_http_{uuid.uuid4().hex[:8]}"
    env = {"MONGO_URI": mongo_uri, f"{name.upper()}_DB_NAME": database, **env}
    subprocess.run([sys.executable, "-m", f"services.{name}", *seed], env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)
    return database, env


@pytest.fixture(scope="session")
def packages_url(mongo_uri, catalogue_url, mongo_client):
    """A real packages service over HTTP, seeded, calling the real catalogue."""
    database, env = _seeded_service("packages", mongo_uri, mongo_client, {"CATALOGUE_URL": catalogue_url})
    with running_service("packages", env) as base:
        yield base
    mongo_client.drop_database(database)


@pytest.fixture(scope="session")
def bookings_url(mongo_uri, packages_url, mongo_client):
    """A real bookings service over HTTP, calling the real packages service."""
    database, env = _seeded_service("bookings", mongo_uri, mongo_client, {"PACKAGES_URL": packages_url}, seed=("init",))
    with running_service("bookings", env) as base:
        yield base
    mongo_client.drop_database(database)


STACK_SERVICES = ("catalogue", "packages", "bookings")


@pytest.fixture(scope="session")
def private_stack(mongo_uri, mongo_client):
    """Every service and the gateway over HTTP on databases of their own (named in ``env``), seeded:
    for tests that hammer them with generated or hostile input, away from other tests' data."""
    suffix = uuid.uuid4().hex[:8]
    env = {"MONGO_URI": mongo_uri, "LOG_LEVEL": "ERROR", "GATEWAY_DB_NAME": f"private_gateway_{suffix}",
           **{f"{name.upper()}_DB_NAME": f"private_{name}_{suffix}" for name in STACK_SERVICES}}
    for name in STACK_SERVICES:
        subprocess.run([sys.executable, "-m", f"services.{name}", "seed"], env={**os.environ, **env}, check=True,
                       stdout=subprocess.DEVNULL)
    with ExitStack() as stack:
        catalogue = stack.enter_context(running_service("catalogue", env))
        packages = stack.enter_context(running_service("packages", {**env, "CATALOGUE_URL": catalogue}))
        bookings = stack.enter_context(running_service("bookings", {**env, "PACKAGES_URL": packages}))
        gateway = stack.enter_context(running_service("gateway", {
            **env, "CATALOGUE_URL": catalogue, "PACKAGES_URL": packages, "BOOKINGS_URL": bookings,
            "GATEWAY_INTROSPECTION": "true", "GATEWAY_RATE_LIMIT": "1000000/minute"}))
        yield {"catalogue": catalogue, "packages": packages, "bookings": bookings, "gateway": gateway, "env": env}
    for database in [env["GATEWAY_DB_NAME"], *(env[f"{name.upper()}_DB_NAME"] for name in STACK_SERVICES)]:
        mongo_client.drop_database(database)
