"""Faults survived without restarting anything: a service stopped under load, the database stopped."""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from contextlib import ExitStack

import pymongo
import requests

from services.common.config import Settings
from services.common.tokens import Principal, mint
from services.packages.seed import seed_id
from tests.support import (
    SERVICES,
    database_server,
    drop_databases,
    free_port,
    in_days,
    patient,
    running_service,
    seed,
    stack,
    stack_env,
)

COMPARE = (
    """{ packages(first: 5, sort: {field: PRICE}) { edges { node { id clinic { name } nextFreeSlot { start } } } } }"""
)


def token(role: str, **scope) -> dict:
    principal = Principal(role=role, subject=f"fault-{role.lower()}", **scope)
    return {"Authorization": f"Bearer {mint(principal, Settings(service='x').token_secret, 300)}"}


def seeded_env(mongo_uri: str, synthetic: int = 0) -> dict:
    env = stack_env(mongo_uri, f"fault_{uuid.uuid4().hex[:8]}", MIN_NOTICE_HOURS="24")
    seed(env, synthetic=dict.fromkeys(SERVICES, synthetic) if synthetic else None)
    return env


class Load:
    """Threads sending the compare page to the gateway, each answer filed under the phase it started
    and ended in ("between" when a phase changed while it ran)."""

    def __init__(self, gateway: str, threads: int = 4):
        self.gateway, self.phase, self.answers = gateway, "warm-up", defaultdict(list)
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self):
        session = requests.Session()
        while not self.stopping.is_set():
            phase = self.phase
            answer = session.post(f"{self.gateway}/graphql", json={"query": COMPARE}, timeout=30)
            self.answers[phase if phase == self.phase else "between"].append(
                (answer.status_code, answer.json(), answer.text)
            )

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def hold(self, phase: str, seconds: float):
        self.phase = phase
        time.sleep(seconds)

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)


def test_a_stopped_service_costs_only_its_fields_and_they_come_back_with_it(mongo_uri, mongo_client):
    env = seeded_env(mongo_uri, synthetic=20)
    bookings_port = free_port()
    gateway_env = {"BOOKINGS_URL": f"http://127.0.0.1:{bookings_port}", "HTTP_TIMEOUT_SECONDS": "2"}
    with stack(env, ("catalogue", "packages"), gateway=gateway_env, workers=2) as urls:
        bookings_env = {**env, "PACKAGES_URL": urls["packages"]}
        bookings = ExitStack()
        bookings.enter_context(running_service("bookings", bookings_env, port=bookings_port))
        with Load(urls["gateway"]) as load:
            load.hold("up", 3)
            load.phase = "stopping"
            bookings.close()  # the bookings service stops; nothing else is touched
            load.hold("down", 4)
            load.phase = "starting"
            with running_service("bookings", bookings_env, port=bookings_port):
                load.hold("settling", 1)
                load.hold("back", 3)
                load.phase = "ending"
    drop_databases(mongo_client, env)

    everything = [a for answers in load.answers.values() for a in answers]
    assert {status for status, _, _ in everything} == {200}, "the gateway never fails a whole query"
    full = load.answers["up"][0][1]["data"]
    assert any(edge["node"]["nextFreeSlot"] for edge in full["packages"]["edges"])
    for phase in ("up", "back"):  # before and after: the same full answers
        assert load.answers[phase] and all(body == {"data": full} for _, body, _ in load.answers[phase]), [
            (phase, b) for _, b, _ in load.answers[phase] if b != {"data": full}
        ][:2]
    assert load.answers["down"]
    for _, body, text in load.answers["down"]:
        edges = body["data"]["packages"]["edges"]
        assert len(edges) == 5 and all(e["node"]["clinic"]["name"] for e in edges)  # the rest of the page still answers
        assert all(e["node"]["nextFreeSlot"] is None for e in edges)
        assert {(e["extensions"]["code"], e["extensions"]["service"]) for e in body["errors"]} == {
            ("UPSTREAM_UNAVAILABLE", "bookings")
        }
        assert str(bookings_port) not in text and "127.0.0.1" not in text


def seoul_in(days: int) -> str:
    return in_days(days, "13:37").isoformat()


def wait_for(check, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return False


def ready(base: str) -> int:
    try:
        return requests.get(f"{base}/readyz", timeout=5).status_code
    except requests.RequestException:
        return 0


def test_every_service_recovers_by_itself_when_the_database_comes_back(tmp_path):
    port, data = free_port(), str(tmp_path / "db")
    agency, clinic = token("AGENCY", agency="seoul-trips"), token("CLINIC_ADMIN", clinic="oracle-skin-clinic")
    package = str(seed_id("oracle-icepick-tca-co2"))
    database = ExitStack()
    uri = database.enter_context(database_server(port, data))
    env = seeded_env(uri)
    with stack(env, gateway={}) as bases:
        catalogue, packages, bookings, gateway = (
            bases[name] for name in ("catalogue", "packages", "bookings", "gateway")
        )
        slot = requests.post(
            f"{bookings}/slots",
            json={"clinic": "oracle-skin-clinic", "start": seoul_in(30), "capacity": 10},
            headers=clinic,
            timeout=10,
        ).json()
        assert "id" in slot, slot

        def book() -> requests.Response:
            quote = requests.post(f"{packages}/packages/{package}/quotes", json={}, timeout=10)
            body = {
                "quoteId": quote.json().get("id", "0" * 32),
                "slotId": slot["id"],
                "patient": patient(fitzpatrickSkinType="IV"),
            }
            return requests.post(
                f"{bookings}/bookings", json=body, headers={**agency, "Idempotency-Key": uuid.uuid4().hex}, timeout=30
            )

        assert [book().status_code for _ in range(2)] == [201, 201]

        database.close()  # the database stops
        assert wait_for(lambda: all(ready(base) == 503 for base in bases.values()), 20)
        assert all(requests.get(f"{base}/healthz", timeout=5).status_code == 200 for base in bases.values())
        refused = requests.get(f"{catalogue}/clinics", params={"limit": 5}, timeout=30)
        assert refused.status_code == 503 and refused.json()["code"] == "DATABASE_UNAVAILABLE"
        during = book()
        assert during.status_code == 503, during.text
        answer = requests.post(f"{gateway}/graphql", json={"query": "{ scarTypes { code } }"}, timeout=30)
        assert answer.status_code in (200, 503) and "Traceback" not in answer.text

        database.enter_context(database_server(port, data))  # and starts again, with its data
        assert wait_for(lambda: all(ready(base) == 200 for base in bases.values()), 30)
        assert book().status_code == 201
        assert (
            "errors"
            not in requests.post(f"{gateway}/graphql", json={"query": "{ scarTypes { code } }"}, timeout=30).json()
        )

        client = pymongo.MongoClient(uri)
        try:
            db = client[env["BOOKINGS_DB_NAME"]]
            bookings_made = db.bookings.count_documents({"slot_id": slot["id"]})
            stored = db.slots.find_one({"_id": slot_pk(slot["id"])})
            assert bookings_made == 3  # the two before, the one after; none from the outage
            assert stored["booked"] == 3 and len(stored["holders"]) == 3
            assert db.claims.count_documents({"state": {"$nin": ["BOOKED", "RELEASED"]}}) == 0
        finally:
            for name in [*(env[f"{s.upper()}_DB_NAME"] for s in SERVICES), env["GATEWAY_DB_NAME"]]:
                client.drop_database(name)
            client.close()
    database.close()


def slot_pk(slot_id: str):
    from bson import ObjectId

    return ObjectId(slot_id)
