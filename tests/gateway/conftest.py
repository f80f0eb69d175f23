from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway import keys
from gateway.__main__ import init
from gateway.app import create_app
from gateway.settings import GatewaySettings
from services.common import http
from services.common.db import connect_database

AGENCY_KEY, OTHER_AGENCY_KEY = "cbk_test_agency_seoul_trips", "cbk_test_agency_busan"
ORACLE_KEY, ASAN_KEY, PLATFORM_KEY = "cbk_test_oracle_admin", "cbk_test_asan_admin", "cbk_test_platform"
SEOUL = ZoneInfo("Asia/Seoul")


def gateway_settings(settings_for, mongo_uri, urls: dict, **changes) -> GatewaySettings:
    kit = settings_for("gateway", service_urls=urls, http_timeout_seconds=2.0)
    values = dict(kit=kit, introspection=True, max_depth=10, max_aliases=30, rate_limit="100000/minute",
                  document_cache_size=64, key_cache_seconds=10)
    values.update(changes)
    return GatewaySettings(**values)


@pytest.fixture
def make_gateway(settings_for, mongo_uri, mongo_client, catalogue_url, packages_url, bookings_url):
    """A gateway app over the real services, with test API keys in its own database."""
    made = []

    def make(urls: dict | None = None, **changes):
        settings = gateway_settings(settings_for, mongo_uri, {"catalogue": catalogue_url, "packages": packages_url,
                                                              "bookings": bookings_url, **(urls or {})}, **changes)
        app = create_app(settings)
        made.append(settings.kit.database)
        connect_database(settings.kit)
        init(settings.kit)
        for name, role, clinic, agency, key in [
            ("agency", "AGENCY", None, "seoul-trips", AGENCY_KEY), ("other agency", "AGENCY", None, "busan-travel", OTHER_AGENCY_KEY),
            ("oracle", "CLINIC_ADMIN", "oracle-skin-clinic", None, ORACLE_KEY),
            ("asan", "CLINIC_ADMIN", "asan-medical-center", None, ASAN_KEY), ("platform", "PLATFORM_ADMIN", None, None, PLATFORM_KEY)]:
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
    original = http.ServiceClient.request

    def counted(self, method, path, **kwargs):
        calls[self.service] += 1
        return original(self, method, path, **kwargs)

    monkeypatch.setattr(http.ServiceClient, "request", counted)
    return calls


@pytest.fixture
def gateway(make_gateway):
    return make_gateway().test_client()


def gql(client, query: str, variables: dict | None = None, key: str | None = None, headers: dict | None = None):
    sent = dict(headers or {})
    if key:
        sent["Authorization"] = f"Bearer {key}"
    return client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=sent)


def seoul_day(days: int) -> str:
    return (datetime.now(SEOUL) + timedelta(days=days)).date().isoformat()
