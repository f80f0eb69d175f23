"""The dispatcher's checks at delivery: no redirect is followed, and no request reaches an address
that is not public in production, whatever the URL resolved to when the endpoint was made."""

from __future__ import annotations

import socket
import time as clock
from datetime import timedelta
from email.utils import format_datetime

import pytest

from services.common.clock import utcnow
from services.common.config import Settings
from services.common.tokens import Principal
from services.webhooks import endpoints, store
from services.webhooks.dispatcher import Dispatcher, backoff, delivery_for, requested_wait
from services.webhooks.sealing import sealer
from tests.support import Receiver

AGENCY = Principal(role="AGENCY", subject="test", agency="seoul-trips")
EVENT = {
    "id": "e" * 32,
    "type": "booking.created",
    "at": "2026-11-24T10:00:00Z",
    "resource": {"type": "booking", "id": "CB-ABCDEFGH"},
    "data": {"status": "PENDING"},
    "scope": {"agency": "seoul-trips", "clinic": "oracle-skin-clinic"},
}


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


def queued(url: str) -> dict:
    """An endpoint made in development (loopback allowed) with one delivery due now."""
    endpoint, _ = endpoints.create(
        {"url": url, "events": ["booking.created"]}, AGENCY, False, sealer(Settings("webhooks"))
    )
    delivery = delivery_for(endpoint, EVENT, utcnow(), timedelta(hours=24))
    store.insert_deliveries([delivery])
    return delivery


def test_a_redirect_is_never_followed(webhooks, receiver):
    target = Receiver()
    try:
        receiver.answer = lambda n: 302
        receiver.redirect_to = target.url
        with webhooks.app_context():
            delivery = queued(receiver.url)
            assert Dispatcher(webhooks.config["SETTINGS"]).send_due() == 1
            after = store.delivery_by_id(delivery["_id"])
        assert len(receiver.received) == 1 and target.received == []
        assert (after["state"], after["last_status"]) == ("PENDING", 302)
        assert after["last_error"] == "Answered 302: redirects are not followed."
        assert after["due"] > utcnow()  # retried later
    finally:
        target.close()


def test_production_sends_nothing_to_an_address_that_is_not_public(webhooks, receiver):
    port = receiver.url.split(":")[2].split("/")[0]
    with webhooks.app_context():
        delivery = queued(f"https://localhost:{port}/hooks")
        production = webhooks.config["SETTINGS"].with_overrides(environment="production")
        assert Dispatcher(production).send_due() == 1
        after = store.delivery_by_id(delivery["_id"])
    assert receiver.received == []
    assert after["last_error"] == "The host localhost resolves to an address that is not public."
    assert after["last_status"] is None and after["state"] == "PENDING"


def test_the_same_event_fanned_out_twice_is_one_delivery(webhooks):
    with webhooks.app_context():
        endpoint, _ = endpoints.create(
            {"url": "http://127.0.0.1:9/", "events": ["booking.created"]}, AGENCY, False, sealer(Settings("webhooks"))
        )
        now = utcnow()
        first = store.insert_deliveries([delivery_for(endpoint, EVENT, now, timedelta(hours=24))])
        again = store.insert_deliveries([delivery_for(endpoint, EVENT, now, timedelta(hours=24))])
        assert (first, again) == (1, 0)


def test_waits_double_up_to_the_most_and_honour_retry_after():
    waits = [backoff(attempt, 10, 3600) for attempt in range(1, 12)]
    assert 10 <= waits[0] <= 12.5 and 20 <= waits[1] <= 25 and 80 <= waits[3] <= 100
    assert all(3600 <= wait <= 4500 for wait in waits[9:])
    assert backoff(1, 10, 3600, retry_after=120) == 120
    assert backoff(1, 10, 3600, retry_after=300000000000) == 3600  # never longer than the most


def test_a_request_goes_to_the_address_checked_not_to_a_later_answer(webhooks, receiver, monkeypatch):
    """DNS rebinding: the name answers a loopback address for the checks, then a private one. The request
    still goes to the address checked, carrying the URL's own host name."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def rebinding(host, *args, **kwargs):
        if host != "rebind.test":
            return real(host, *args, **kwargs)
        asked.append(host)
        return real("127.0.0.1" if len(asked) <= 2 else "10.0.0.7", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = receiver.url.split(":")[2].split("/")[0]
    with webhooks.app_context():
        delivery = queued(f"http://rebind.test:{port}/hooks")  # the first answer: at creation
        assert Dispatcher(webhooks.config["SETTINGS"]).send_due() == 1  # the second: before the request
        after = store.delivery_by_id(delivery["_id"])
    assert after["state"] == "DELIVERED" and len(asked) == 2
    assert receiver.received[0]["headers"]["Host"] == f"rebind.test:{port}"


@pytest.mark.parametrize(
    "retry_after, least, most",
    [
        ("300000000000", 3600, 3600 * 1.25),  # absurd: capped at the longest wait
        ("120", 120, 125),  # seconds
        ("in a while", 10, 12.5),  # not a number or a date: the usual backoff
        ("Wed, 21 Oct 2015 07:28:00 GMT", 10, 12.5),  # a date already past: the usual backoff
    ],
)
def test_retry_after_is_recorded_and_scheduled_sanely(webhooks, receiver, retry_after, least, most):
    receiver.answer = lambda n: (503, {"Retry-After": retry_after})
    with webhooks.app_context():
        delivery = queued(receiver.url)
        before = utcnow()
        assert Dispatcher(webhooks.config["SETTINGS"]).send_due() == 1
        after = store.delivery_by_id(delivery["_id"])
    assert (after["state"], after["attempts"], after["last_status"], after["last_error"]) == (
        "PENDING",
        1,
        503,
        "Answered 503.",
    )
    assert least - 1 <= (after["due"] - before).total_seconds() <= most + 1


def test_retry_after_as_a_date_is_honoured(webhooks, receiver):
    when = utcnow() + timedelta(minutes=10)
    receiver.answer = lambda n: (503, {"Retry-After": format_datetime(when, usegmt=True)})
    with webhooks.app_context():
        delivery = queued(receiver.url)
        assert Dispatcher(webhooks.config["SETTINGS"]).send_due() == 1
        after = store.delivery_by_id(delivery["_id"])
    assert after["last_status"] == 503 and abs((after["due"] - when).total_seconds()) <= 2


def test_a_delivery_that_succeeds_at_last_shows_no_error_and_keeps_every_attempt(webhooks, receiver):
    receiver.answer = lambda n: 500 if n == 0 else 204
    quick = webhooks.config["SETTINGS"].with_overrides(webhook_retry_base_seconds=0.01, webhook_retry_max_seconds=0.02)
    with webhooks.app_context():
        delivery = queued(receiver.url)
        for _ in range(100):
            Dispatcher(quick).send_due()
            if store.delivery_by_id(delivery["_id"])["state"] != "PENDING":
                break
            clock.sleep(0.02)
        after = store.delivery_by_id(delivery["_id"])
    assert (after["state"], after["attempts"], after["last_status"]) == ("DELIVERED", 2, 204)
    assert after.get("last_error") is None
    assert [(a["status"], a["error"]) for a in after["history"]] == [(500, "Answered 500."), (204, None)]


def test_a_burst_to_one_endpoint_goes_out_a_lane_at_a_time_and_arrives_whole(webhooks, receiver):
    """Twelve events for one endpoint: never more requests open to it than its lanes (2), each event
    once, and every one arrives (a delivery waiting for a lane is woken when one is given back)."""
    import threading

    receiver.delay = 0.1
    with webhooks.app_context():
        endpoint, _ = endpoints.create(
            {"url": receiver.url, "events": ["booking.created"]}, AGENCY, False, sealer(Settings("webhooks"))
        )
        store.insert_deliveries(
            [delivery_for(endpoint, {**EVENT, "id": f"{n:032d}"}, utcnow(), timedelta(hours=1)) for n in range(12)]
        )
        stop = threading.Event()
        sender = threading.Thread(target=Dispatcher(webhooks.config["SETTINGS"]).send_due, kwargs={"stop": stop})
        sender.start()
        try:
            receiver.wait_for(lambda r: len(r.received) >= 12)
        finally:
            stop.set()
            sender.join()
    ids = [r["headers"]["webhook-id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 12 and receiver.most_open <= 2


def test_retry_after_is_read_as_seconds_or_a_date_and_never_past_the_most():
    now = utcnow()
    assert requested_wait("120", now, 3600) == 120
    assert requested_wait("9" * 5000, now, 3600) == 3600  # too long to be a number Python reads: the most
    assert requested_wait(format_datetime(now + timedelta(days=400), usegmt=True), now, 3600) == 3600
    for unreadable in ("", "-5", "1e9", "²", "soon", "Mon, 99 Foo 2026 00:00:00 GMT", None):
        assert requested_wait(unreadable, now, 3600) is None, unreadable
