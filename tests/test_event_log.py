"""The event log has one owner: a change logs its own event, each service's relay process logs what a
process that died left behind and keeps the log to its horizon, and reading a feed writes nothing.

The services run over HTTP on a database server of their own, so the server's own count of writes
shows what a feed read costs, whatever other tests do meanwhile.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pymongo
import pytest
import requests

from services.common.clock import utcnow
from services.webhooks import seed as webhooks_seed
from services.webhooks import store as webhooks_store
from services.webhooks.app import create_app as webhooks_app
from services.webhooks.dispatcher import Dispatcher
from tests.support import (
    ICEPICK,
    ORACLE,
    PLATFORM_KEY,
    ROOT,
    bearer_headers,
    database_server,
    gql,
    load_sample_interpreters,
    seed,
    stack,
    stack_env,
)

ADMIN = bearer_headers("PLATFORM_ADMIN", ttl=3600)
CLINIC = bearer_headers("CLINIC_ADMIN", clinic=ORACLE, ttl=3600)


@pytest.fixture(scope="module")
def logs():
    """The packages and bookings services over HTTP, seeded, on a database server no other test uses."""
    with database_server() as uri:
        env = stack_env(uri, f"log_{uuid.uuid4().hex[:6]}")
        seed(env, ("catalogue", "packages"))
        seed(env, ("bookings",), command="init")
        load_sample_interpreters(env)  # and registrations: the seed agency books at a registered clinic
        client = pymongo.MongoClient(uri)
        with stack(env, ("catalogue", "packages", "bookings")) as urls:
            yield {"env": env, "urls": urls, "db": {name: client[env[f"{name.upper()}_DB_NAME"]] for name in urls}}
        client.close()


def writes(database) -> int:
    """Inserts, updates and deletes the database server has done since it started."""
    counters = database.client.admin.command("serverStatus")["opcounters"]
    return counters["insert"] + counters["update"] + counters["delete"]


def feed(logs, service: str, after: int = 0, headers: dict = ADMIN) -> requests.Response:
    return requests.get(
        f"{logs['urls'][service]}/events", params={"after": after, "limit": 100}, headers=headers, timeout=30
    )


def read_all(logs, service: str, after: int = 0) -> list[dict]:
    items = []
    while True:
        page = feed(logs, service, after).json()
        items += page["items"]
        after = int(page["cursor"])
        if not page["more"]:
            return items


def relay(logs, service: str, **env: str) -> None:
    """The service's relay as its process runs it (the packages relay, the bookings sweeper), once."""
    command = {"packages": ["relay"], "bookings": ["sweep"]}[service]
    subprocess.run(
        [sys.executable, "-m", f"services.{service}", *command],
        cwd=ROOT,
        env={**os.environ, **logs["env"], **env},
        check=True,
        timeout=60,
        stdout=subprocess.DEVNULL,
    )


def outboxed(service: str) -> dict:
    """An event as a process that died right after its change leaves it: in the outbox, not yet logged."""
    at = utcnow()
    if service == "packages":
        scope = {"clinic": ORACLE, "public": True}
        resource = {"type": "package", "id": str(ICEPICK)}
    else:
        scope = {"agency": "seoul-trips", "clinic": None}
        resource = {"type": "hold", "id": uuid.uuid4().hex}
    kind = "package.updated" if service == "packages" else "hold.expired"
    return {"id": uuid.uuid4().hex, "type": kind, "at": at, **scope, "resource": resource, "by": None, "data": {}}


def test_a_package_change_logs_its_event_when_it_happens(logs):
    changed = requests.patch(
        f"{logs['urls']['packages']}/packages/{ICEPICK}", json={"priceKrw": 2_450_000}, headers=CLINIC, timeout=30
    )
    assert changed.status_code == 200, changed.text
    database = logs["db"]["packages"]
    # In the log already, numbered, before anyone reads a feed; nothing left waiting in the outbox.
    logged = database.events.find_one({"type": "package.updated", "data.priceKrw": 2_450_000})
    assert logged is not None and logged["seq"] >= 1
    assert database.event_outbox.count_documents({}) == 0


@pytest.mark.parametrize("service", ["packages", "bookings"])
def test_reading_a_feed_writes_nothing_and_the_relay_process_logs_what_a_dead_process_left(logs, service):
    database = logs["db"][service]
    left = outboxed(service)
    database.event_outbox.insert_one({"_id": left["id"], "event": left, "waiting": True})
    before = writes(database)
    for after in (0, 0, 1):
        assert feed(logs, service, after).status_code == 200
    assert writes(database) == before  # reading a feed is only reading
    assert left["id"] not in {e["id"] for e in read_all(logs, service)}  # only the relay logs it
    relay(logs, service)
    assert left["id"] in {e["id"] for e in read_all(logs, service)}
    assert database.event_outbox.count_documents({}) == 0


@pytest.mark.parametrize("service", ["packages", "bookings"])
def test_events_logged_by_a_relay_that_died_before_counting_them_are_read(logs, service):
    database = logs["db"][service]
    counted = (database.counters.find_one({"_id": "events"}) or {}).get("seq", 0)
    # A relay that logged two events under the next numbers, then died before noting the count.
    hidden = []
    for n in (1, 2):
        event = outboxed(service)
        database.events.insert_one(
            {**{k: v for k, v in event.items() if k != "id"}, "_id": event["id"], "seq": counted + n}
        )
        hidden.append(event["id"])
    page = feed(logs, service, counted).json()
    assert [e["id"] for e in page["items"]] == hidden and page["cursor"] == str(counted + 2)


@pytest.fixture(scope="module")
def compacted(logs):
    """The packages log as it is 45 days after everything in it was logged, with one event logged
    today, once the relay process has kept it to a 30-day horizon: ``oldest`` is the oldest cursor
    still held, ``fresh`` today's event."""
    database = logs["db"]["packages"]
    for _ in range(3):  # at least three events before the horizon
        event = outboxed("packages")
        database.event_outbox.insert_one({"_id": event["id"], "event": event, "waiting": True})
        relay(logs, "packages")
    last = read_all(logs, "packages")[-1]["seq"]
    old = utcnow() - timedelta(days=45)
    database.events.update_many({}, {"$set": {"at": old, "logged_at": old}})
    fresh = outboxed("packages")
    database.event_outbox.insert_one({"_id": fresh["id"], "event": fresh, "waiting": True})
    relay(logs, "packages", EVENT_HORIZON_DAYS="30")
    assert database.events.count_documents({}) == 1  # the events past the horizon are gone
    return {"oldest": last, "fresh": fresh["id"]}


def test_a_cursor_older_than_the_horizon_gets_cursor_expired_with_the_oldest_cursor_held(logs, compacted):
    expired = feed(logs, "packages", 1)
    assert expired.status_code == 410
    problem = expired.json()
    assert problem["code"] == "CURSOR_EXPIRED" and problem["oldestCursor"] == str(compacted["oldest"])
    assert "30 days" in problem["detail"]
    # From the oldest cursor held, or from the start, the feed goes on with what is kept.
    assert [e["id"] for e in read_all(logs, "packages", compacted["oldest"])] == [compacted["fresh"]]
    assert [e["id"] for e in read_all(logs, "packages")] == [compacted["fresh"]]


def test_the_gateway_tells_an_expired_cursor_and_the_one_to_go_on_from(logs, compacted, make_gateway):
    gateway = make_gateway(urls={"packages": logs["urls"]["packages"], "bookings": logs["urls"]["bookings"]})
    document = "query E($a: String) { events(first: 10, after: $a) { cursor events { id } } }"
    answer = gql(gateway.test_client(), document, {"a": "0.1"}, PLATFORM_KEY).json
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "CURSOR_EXPIRED"
    assert error["extensions"]["oldestCursor"] == f"0.{compacted['oldest']}"
    again = gql(gateway.test_client(), document, {"a": error["extensions"]["oldestCursor"]}, PLATFORM_KEY).json
    assert compacted["fresh"] in {e["id"] for e in again["data"]["events"]["events"]}


def test_a_dispatcher_left_behind_the_horizon_goes_on_from_the_oldest_event_held(logs, compacted, make_app):
    app = make_app(
        "webhooks",
        webhooks_app,
        webhooks_seed.ensure_indexes,
        service_urls={"packages": logs["urls"]["packages"], "bookings": logs["urls"]["bookings"]},
    )
    with app.app_context():
        webhooks_store.cursors().insert_one({"_id": "packages", "after": 1})
        dispatcher = Dispatcher(app.config["SETTINGS"])
        while dispatcher.fan_out("packages"):
            pass
        assert webhooks_store.feed_position("packages") > compacted["oldest"]  # past the fresh event, not stuck
