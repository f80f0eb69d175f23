"""Operator injection through every write and every filter of every service, read from the
published OpenAPI documents: a hostile value is refused with a 4xx and writes nothing, and a
filter value never turns into a query operator."""

from __future__ import annotations

import pytest
import requests

from services.common.config import Settings
from services.common.tokens import Principal, mint

SERVICES = ("catalogue", "packages", "bookings", "webhooks")
HOSTILE_BODIES = [
    {"$where": "sleep(1000) || true"},
    {"name": {"$gt": ""}, "clinic": {"$ne": None}, "quoteId": {"$ne": None}},
    {"status.$": "PUBLISHED", "a.b": 1},
    {"patient": {"$set": {"agency": "attacker"}}},
]
HOSTILE_VALUES = ['{"$gt": ""}', "$ne", '{"$where": "1"}', "a.$b", "[$ne]"]


def headers(service: str = "") -> dict:
    """The most powerful caller there is: a platform admin (agency-only routes refuse it, which counts too); for
    webhooks, whose endpoints belong to agencies and clinics, an agency, so every body reaches validation."""
    principal = (
        Principal(role="AGENCY", subject="security", agency="seoul-trips")
        if service == "webhooks"
        else Principal(role="PLATFORM_ADMIN", subject="security")
    )
    token = mint(principal, Settings(service="x").token_secret, 600)
    return {"Authorization": f"Bearer {token}"}


def operations(base: str):
    document = requests.get(f"{base}/openapi.json", timeout=10).json()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def concrete(path: str) -> str:
    return path.replace("{", "x").replace("}", "")  # any path parameter: a plain, unknown identifier


def snapshot(mongo_client, database: str) -> dict:
    db = mongo_client[database]
    return {name: sorted(map(str, db[name].find({}, {"_id": 1}))) for name in db.list_collection_names()}


@pytest.mark.parametrize("service", SERVICES)
def test_hostile_bodies_are_refused_by_every_write_and_change_nothing(service, private_stack, mongo_client):
    base, database = private_stack[service], private_stack["env"][f"{service.upper()}_DB_NAME"]
    before = snapshot(mongo_client, database)
    writes = [(p, m) for p, m, op in operations(base) if "requestBody" in op]
    assert writes, "every service has writes"
    for path, method in writes:
        for body in HOSTILE_BODIES:
            answer = requests.request(
                method,
                f"{base}{concrete(path)}",
                json=body,
                headers={**headers(service), "Idempotency-Key": "k"},
                timeout=10,
            )
            assert 400 <= answer.status_code < 500, (method, path, body, answer.status_code, answer.text)
            assert answer.headers["Content-Type"].startswith("application/problem+json"), (method, path)
    assert snapshot(mongo_client, database) == before


@pytest.mark.parametrize("service", SERVICES)
def test_filter_values_never_become_operators(service, private_stack):
    base = private_stack[service]
    reads = [(p, op) for p, m, op in operations(base) if m == "GET" and "{" not in p and op.get("parameters")]
    assert reads
    for path, operation in reads:
        for parameter in operation["parameters"]:
            if parameter["in"] != "query":
                continue
            for value in HOSTILE_VALUES:
                answer = requests.get(f"{base}{path}", params={parameter["name"]: value}, headers=headers(), timeout=10)
                assert answer.status_code < 500, (path, parameter["name"], value, answer.text)
                if answer.status_code == 200 and "items" in answer.json():
                    # Accepted as plain text (a search word, a name): then it matched literally, i.e. nothing.
                    assert answer.json()["items"] == [], (path, parameter["name"], value)
