"""A bookings process killed halfway leaves no seat taken for a booking that does not exist.

The processes here kill themselves (SIGKILL) at a named point (FAILPOINTS): right after taking
a seat, before the booking is recorded; right after cancelling, before the seat is given back.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
import requests
from pymongo.errors import AutoReconnect

from services.bookings import sweeper
from services.bookings.models import Booking, Claim
from services.common import failpoints
from services.common.clock import utcnow
from tests.support import (
    HOLD_SECONDS,
    PATIENT,
    book_on,
    booking_count,
    in_days,
    lease_lapses,
    running_service,
    seat_count,
    seats_are_owned,
    sweep,
)


def crash_after_seat(env, body, headers, key) -> None:
    with (
        running_service("bookings", {**env, "FAILPOINTS": "bookings.after_seat"}) as crashing,
        pytest.raises(requests.ConnectionError),
    ):
        book_on(crashing, headers, body, key)


def test_the_sweeper_gives_back_the_seat_of_a_booking_never_recorded(
    bookings, open_slot, new_quote, agency, env, later_visits
):
    slot = open_slot(in_days(20), capacity=2)
    later_visits(slot)
    body = {"quoteId": new_quote()["id"], "slotId": slot["id"], "patient": PATIENT}
    key = uuid.uuid4().hex
    crash_after_seat(env, body, agency, key)
    assert seat_count(bookings, slot["id"]) == 1 and booking_count(bookings) == 0  # killed right there

    time.sleep(HOLD_SECONDS + 0.2)
    assert sweep(env) == {"reclaimed": 1, "recorded": 0, "settled": 0, "proposed": 0}
    assert seat_count(bookings, slot["id"]) == 0 and booking_count(bookings) == 0
    with bookings.app_context():
        assert [claim.state for claim in Claim.objects] == ["RELEASED"]  # no claim keeps a seat
    assert sweep(env) == {"reclaimed": 0, "recorded": 0, "settled": 0, "proposed": 0}  # nothing twice

    # The agency's retry with the same key books it, under the reference its first attempt fixed.
    lease_lapses(bookings, key)
    retry = book_on_app(bookings, agency, body, key)
    assert retry.status_code == 201, retry.json
    assert seat_count(bookings, slot["id"]) == 1 and booking_count(bookings) == 1


def test_a_retry_after_the_crash_keeps_the_seat_the_first_attempt_took(
    bookings, open_slot, new_quote, agency, env, later_visits
):
    slot = open_slot(in_days(21), capacity=1)
    later_visits(slot)
    body = {"quoteId": new_quote()["id"], "slotId": slot["id"], "patient": PATIENT}
    key = uuid.uuid4().hex
    crash_after_seat(env, body, agency, key)
    assert seat_count(bookings, slot["id"]) == 1  # the only seat, held by the dead attempt

    lease_lapses(bookings, key)
    retry = book_on_app(bookings, agency, body, key)
    assert retry.status_code == 201, retry.json  # not SLOT_FULL: the seat was this booking's all along
    time.sleep(HOLD_SECONDS + 0.2)
    assert sweep(env) == {"reclaimed": 0, "recorded": 0, "settled": 0, "proposed": 0}
    assert seat_count(bookings, slot["id"]) == 1 and booking_count(bookings) == 1


def test_the_sweeper_finishes_a_cancellation_whose_process_died(bookings, client, open_slot, book, agency, env):
    slot = open_slot(in_days(22), capacity=2)
    booked = book(slot)
    assert booked.status_code == 201
    reference = booked.json["reference"]
    with (
        running_service("bookings", {**env, "FAILPOINTS": "bookings.after_cancel"}) as crashing,
        pytest.raises(requests.ConnectionError),
    ):
        requests.post(f"{crashing}/bookings/{reference}/cancel", json={}, headers=agency, timeout=30)
    assert client.get(f"/bookings/{reference}", headers=agency).json["status"] == "CANCELLED"
    assert seat_count(bookings, slot["id"]) == 1  # killed before giving it back

    time.sleep(HOLD_SECONDS + 0.2)
    assert sweep(env) == {"reclaimed": 0, "recorded": 0, "settled": 1, "proposed": 0}
    assert seat_count(bookings, slot["id"]) == 0
    assert sweep(env) == {"reclaimed": 0, "recorded": 0, "settled": 0, "proposed": 0}
    assert seat_count(bookings, slot["id"]) == 0  # given back once, however often it runs


def book_on_app(bookings, headers: dict, body: dict, key: str):
    return bookings.test_client().post("/bookings", json=body, headers={**headers, "Idempotency-Key": key})


def test_a_booking_recorded_before_the_database_failed_keeps_its_seats_and_its_reference(
    bookings, client, open_slot, book, agency, monkeypatch
):
    slot = open_slot(in_days(23), capacity=2)
    key = uuid.uuid4().hex

    def database_lost() -> None:  # the database fails right after the booking is recorded
        raise AutoReconnect("connection reset")

    monkeypatch.setitem(failpoints.ACTIVE, "bookings.after_record", database_lost)
    first = book(slot, key=key)
    assert first.status_code == 503 and first.json["code"] == "DATABASE_UNAVAILABLE", first.json
    monkeypatch.delitem(failpoints.ACTIVE, "bookings.after_record")
    with bookings.app_context():
        recorded = Booking.objects.get()
    visits = [visit["slot_id"] for visit in recorded.visits]
    assert [seat_count(bookings, slot_id) for slot_id in visits] == [1, 1, 1]  # nothing was given back

    retry = client.post(
        "/bookings",
        json={"quoteId": recorded.quote_id, "slotId": slot["id"], "patient": PATIENT},
        headers={**agency, "Idempotency-Key": key},
    )
    assert retry.status_code == 201 and retry.json["reference"] == recorded.reference, retry.json
    assert booking_count(bookings) == 1
    with bookings.app_context():
        assert sweeper.sweep(now=utcnow() + timedelta(hours=2))["reclaimed"] == 0
    assert [seat_count(bookings, slot_id) for slot_id in visits] == [1, 1, 1]
    seats_are_owned(bookings)
