from __future__ import annotations

import uuid
from contextlib import ExitStack
from datetime import datetime, timedelta

import pytest
import requests

from services.bookings import seed
from services.bookings.app import create_app
from tests.support import AGENCY, HOLD_SECONDS, ICEPICK, ORACLE, PATIENT, running_service


@pytest.fixture
def bookings_settings(settings_for, packages_url):
    return settings_for("bookings", service_urls={"packages": packages_url}, min_notice_hours=24)


@pytest.fixture
def bookings_with(make_app, bookings_settings):
    """The bookings app on this test's database, with settings of its own (holds of no minutes, say)."""

    def make(**overrides):
        return make_app(
            "bookings",
            create_app,
            lambda: (
                seed.ensure_indexes(),
                seed.load_interpreters(),
                seed.load_consultation_hours(),
                seed.load_registrations(),
            ),
            database=bookings_settings.database,
            service_urls=bookings_settings.service_urls,
            min_notice_hours=24,
            **overrides,
        )

    return make


@pytest.fixture
def bookings(bookings_with):
    return bookings_with()


@pytest.fixture
def client(bookings):
    return bookings.test_client()


@pytest.fixture
def new_quote(packages_url):
    def make(package: str = ICEPICK, **options) -> dict:
        answer = requests.post(f"{packages_url}/packages/{package}/quotes", json=options, timeout=10)
        assert answer.status_code == 201, answer.text
        return answer.json()

    return make


@pytest.fixture
def open_slot(client, bearer):
    def make(start: datetime, capacity: int = 3, clinic: str = ORACLE, package_id: str | None = None) -> dict:
        body = {"clinic": clinic, "start": start.isoformat(), "capacity": capacity, "packageId": package_id}
        answer = client.post("/slots", json=body, headers=bearer("CLINIC_ADMIN", clinic=clinic))
        assert answer.status_code == 201, answer.json
        return answer.json

    return make


@pytest.fixture
def agency(bearer):
    return bearer("AGENCY", agency=AGENCY)


@pytest.fixture
def later_visits(client, bearer):
    """Any-package slots for visits 2 and 3 of the ice-pick package (30 and 65 days after a first
    visit's slot), so that a booking given only its first slot finds each later visit there."""

    def make(slot: dict) -> list[dict]:
        start = datetime.fromisoformat(slot["start"])
        admin = bearer("CLINIC_ADMIN", clinic=slot["clinic"])
        later = []
        for days in (30, 65):
            body = {"clinic": slot["clinic"], "start": (start + timedelta(days=days)).isoformat(), "capacity": 20}
            answer = client.post("/slots", json=body, headers=admin)
            assert answer.status_code in (201, 409), answer.json  # 409: opened for an earlier booking already
            later.append(answer.json)
        return later

    return make


@pytest.fixture
def book(client, agency, new_quote, later_visits):
    """Book a quote into a first visit's slot, the later visits taking the slots ``later_visits`` opens."""

    def make(slot: dict, quote: dict | None = None, patient: dict | None = None, key: str | None = None, headers=None):
        if "start" in slot:
            later_visits(slot)
        body = {"quoteId": (quote or new_quote())["id"], "slotId": slot["id"], "patient": patient or PATIENT}
        return client.post(
            "/bookings", json=body, headers={**(headers or agency), "Idempotency-Key": key or uuid.uuid4().hex}
        )

    return make


@pytest.fixture
def bookings_processes(bookings_settings, mongo_uri, packages_url):
    """Three bookings-service processes on one database, as `--scale bookings=3` runs them."""
    env = {
        "MONGO_URI": mongo_uri,
        "BOOKINGS_DB_NAME": bookings_settings.database,
        "PACKAGES_URL": packages_url,
        "MIN_NOTICE_HOURS": "24",
    }
    with ExitStack() as stack:
        yield [stack.enter_context(running_service("bookings", env)) for _ in range(3)]


@pytest.fixture
def env(bookings_settings, mongo_uri, packages_url):
    return {
        "MONGO_URI": mongo_uri,
        "BOOKINGS_DB_NAME": bookings_settings.database,
        "PACKAGES_URL": packages_url,
        "MIN_NOTICE_HOURS": "24",
        "SEAT_HOLD_SECONDS": str(HOLD_SECONDS),
    }
