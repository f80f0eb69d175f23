from __future__ import annotations

import pytest

from services.catalogue import seed
from services.catalogue.app import create_app


@pytest.fixture
def catalogue(make_app):
    """A catalogue app on a fresh database holding the seed data."""
    return make_app("catalogue", create_app, seed.load_seed)


@pytest.fixture
def client(catalogue):
    return catalogue.test_client()


@pytest.fixture
def with_synthetic(catalogue):
    def add(count: int) -> int:
        with catalogue.app_context():
            return seed.load_synthetic(count)

    return add
