from __future__ import annotations

import pytest

from services.webhooks import seed
from services.webhooks.app import create_app


@pytest.fixture
def webhooks(make_app):
    """A webhooks app on a fresh database, in development (loopback receivers allowed). Its feeds are
    unreachable: the tests here queue deliveries themselves."""
    nowhere = "http://127.0.0.1:9"
    return make_app(
        "webhooks", create_app, seed.ensure_indexes, service_urls={"bookings": nowhere, "packages": nowhere}
    )


@pytest.fixture
def client(webhooks):
    return webhooks.test_client()


@pytest.fixture
def production_client(make_app):
    """The same in production: https to public addresses only."""
    return make_app("webhooks", create_app, seed.ensure_indexes, environment="production").test_client()
