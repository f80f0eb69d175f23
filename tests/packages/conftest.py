from __future__ import annotations

import pytest

from services.packages import seed
from services.packages.app import create_app
from tests.support import free_port


@pytest.fixture
def packages(make_app, catalogue_url):
    """A packages app on a fresh database with the seed, calling the real catalogue over HTTP."""
    return make_app("packages", create_app, seed.load_seed, service_urls={"catalogue": catalogue_url})


@pytest.fixture
def client(packages):
    return packages.test_client()


@pytest.fixture
def catalogue_down(make_app):
    """A packages app whose catalogue service cannot be reached."""
    return make_app(
        "packages",
        create_app,
        seed.load_seed,
        http_timeout_seconds=0.5,
        service_urls={"catalogue": f"http://127.0.0.1:{free_port()}"},
    )
