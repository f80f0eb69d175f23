"""Test fixtures: one real MongoDB wire-protocol server for the session.

With MONGO_URI set the suite uses that MongoDB; otherwise it starts SecantusDB's
``secantusd-py`` as its own process on a free port with a temporary directory, and
stops it at the end. Every test gets databases of its own.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from contextlib import contextmanager

import pymongo
import pytest

from gateway import keys
from gateway.__main__ import init
from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from services.common import http
from services.common.app import stop_read_models
from services.common.config import Settings
from services.common.db import connect_database

from .support import (
    TEST_KEYS,
    bearer_headers,
    database_server,
    drop_databases,
    load_sample_interpreters,
    seed,
    stack,
    stack_env,
)


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
        base = Settings(
            service=service,
            mongo_uri=mongo_uri,
            database=f"test_{service}_{uuid.uuid4().hex[:10]}",
            log_level="WARNING",
        )
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
    return bearer_headers


@contextmanager
def one_service(name: str, mongo_uri: str, mongo_client, env: dict, command: str = "seed", interpreters: bool = False):
    """``name`` over HTTP on a database of its own, seeded; yields its URL, drops its database after."""
    env = {"MONGO_URI": mongo_uri, f"{name.upper()}_DB_NAME": f"test_{name}_http_{uuid.uuid4().hex[:8]}", **env}
    seed(env, (name,), command=command)
    if interpreters:
        load_sample_interpreters(env)
    try:
        with stack(env, (name,)) as urls:
            yield urls[name]
    finally:
        drop_databases(mongo_client, env)


@pytest.fixture(scope="session")
def catalogue_url(mongo_uri, mongo_client):
    """A real catalogue service over HTTP, seeded, shared by the tests of the services that call it."""
    with one_service("catalogue", mongo_uri, mongo_client, {}) as url:
        yield url


@pytest.fixture(scope="session")
def packages_url(mongo_uri, catalogue_url, mongo_client):
    """A real packages service over HTTP, seeded, calling the real catalogue."""
    with one_service("packages", mongo_uri, mongo_client, {"CATALOGUE_URL": catalogue_url}) as url:
        yield url


@pytest.fixture(scope="session")
def bookings_url(mongo_uri, packages_url, mongo_client):
    """A real bookings service over HTTP (no slots yet, the sample interpreters), calling the real packages service."""
    with one_service(
        "bookings", mongo_uri, mongo_client, {"PACKAGES_URL": packages_url}, command="init", interpreters=True
    ) as url:
        yield url


@pytest.fixture(scope="session")
def webhooks_service(mongo_uri, mongo_client):
    """A real webhooks service over HTTP on a database of its own: ``{url, database}``."""
    database = f"test_webhooks_http_{uuid.uuid4().hex[:8]}"
    with one_service("webhooks", mongo_uri, mongo_client, {"WEBHOOKS_DB_NAME": database}, command="init") as url:
        yield {"url": url, "database": database}


@pytest.fixture(scope="session")
def private_stack(mongo_uri, mongo_client):
    """Every service and the gateway over HTTP on databases of their own (named in ``env``), seeded:
    for tests that hammer them with generated or hostile input, away from other tests' data."""
    env = stack_env(mongo_uri, f"private_{uuid.uuid4().hex[:8]}", LOG_LEVEL="ERROR")
    seed(env)
    with stack(env, gateway={"GATEWAY_INTROSPECTION": "true"}) as urls:
        yield {**urls, "env": env}
    drop_databases(mongo_client, env)


# -- a gateway over the real services -------------------------------------------------------------


def gateway_settings(settings_for, mongo_uri, urls: dict, **changes) -> GatewaySettings:
    # A booking of three visits with their interpreter and three calls is many writes: on a loaded machine one can
    # take a few seconds, which is not the failure a test looks for (test_outcomes makes its answer late on purpose).
    kit = settings_for("gateway", service_urls=urls, http_timeout_seconds=6.0)
    values = {
        "kit": kit,
        "introspection": True,
        "max_depth": 10,
        "max_aliases": 30,
        "rate_limit": "100000/minute",
        "document_cache_size": 64,
        "key_cache_seconds": 10,
    }
    values.update(changes)
    return GatewaySettings(**values)


@pytest.fixture
def make_gateway(settings_for, mongo_uri, mongo_client, catalogue_url, packages_url, bookings_url, webhooks_service):
    """A gateway app over the real services, with test API keys in its own database."""
    made = []

    def make(urls: dict | None = None, **changes):
        settings = gateway_settings(
            settings_for,
            mongo_uri,
            {
                "catalogue": catalogue_url,
                "packages": packages_url,
                "bookings": bookings_url,
                "webhooks": webhooks_service["url"],
                **(urls or {}),
            },
            **changes,
        )
        app = create_gateway(settings)
        made.append(settings.kit.database)
        connect_database(settings.kit)
        init(settings.kit)
        for name, role, clinic, agency, key in TEST_KEYS:
            if keys.principal_for(key) is None:
                keys.create(name, role, clinic=clinic, agency=agency, key=key)
        return app

    yield make
    for database in made:
        mongo_client.drop_database(database)


@pytest.fixture
def count_calls(monkeypatch):
    """Every HTTP call the gateway makes to a service, by service."""
    calls: Counter = Counter()
    original = http.AsyncServiceClient.request

    async def counted(self, method, path, **kwargs):
        calls[self.service] += 1
        return await original(self, method, path, **kwargs)

    monkeypatch.setattr(http.AsyncServiceClient, "request", counted)
    return calls


@pytest.fixture
def gateway(make_gateway):
    return make_gateway().test_client()
