"""Checkout holds: every visit's seat held for a while, then turned into one booking, or given back."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from services.bookings import events, ledger, packages, sweeper
from tests.support import PATIENT, booking_count, in_days, seat_count, seats_are_owned, seoul_day


def three_visits(open_slot, first_day: int) -> list[dict]:
    return [open_slot(in_days(day, "10:00"), capacity=2) for day in (first_day, first_day + 30, first_day + 60)]


def hold(client, agency, quote: dict, slots: list[dict], key: str | None = None):
    return client.post(
        "/holds",
        json={"quoteId": quote["id"], "slotIds": [s["id"] for s in slots]},
        headers={**agency, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def book_hold(client, agency, hold_id: str, key: str | None = None):
    return client.post(
        "/bookings",
        json={"holdId": hold_id, "patient": PATIENT},
        headers={**agency, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def test_a_hold_takes_every_seat_and_turns_into_one_booking(bookings, client, open_slot, new_quote, agency):
    slots = three_visits(open_slot, 90)
    held = hold(client, agency, new_quote(), slots)
    assert held.status_code == 201, held.json
    assert [v["slotId"] for v in held.json["visits"]] == [s["id"] for s in slots]
    assert [seat_count(bookings, s["id"]) for s in slots] == [1, 1, 1]  # held seats count against capacity
    free = client.get(
        "/availability",
        query_string={
            "clinic": "oracle-skin-clinic",
            "from": seoul_day(90),
            "to": seoul_day(90),
        },
    ).json["items"]
    assert [s["free"] for s in free if s["id"] == slots[0]["id"]] == [1]
    made = book_hold(client, agency, held.json["id"])
    assert made.status_code == 201, made.json
    assert [v["slotId"] for v in made.json["visits"]] == [s["id"] for s in slots]
    assert [seat_count(bookings, s["id"]) for s in slots] == [1, 1, 1] and booking_count(bookings) == 1
    again = book_hold(client, agency, held.json["id"])  # a hold is one booking at most, and says which
    assert again.status_code == 409 and again.json["code"] == "HOLD_ALREADY_BOOKED", again.json
    assert again.json["errors"] == [{"field": "holdId", "message": made.json["reference"]}]


def test_racing_requests_turn_a_hold_into_one_booking(bookings, client, open_slot, new_quote, agency):
    held = hold(client, agency, new_quote(), three_visits(open_slot, 91)).json

    def attempt(_):
        return book_hold(bookings.test_client(), agency, held["id"]).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(attempt, range(6)))
    assert codes.count(201) == 1 and booking_count(bookings) == 1


def test_a_released_hold_gives_every_seat_back(bookings, client, open_slot, new_quote, agency, bearer):
    slots = three_visits(open_slot, 92)
    held = hold(client, agency, new_quote(), slots).json
    other = bearer("AGENCY", agency="busan-travel")
    assert client.post(f"/holds/{held['id']}/release", headers=other).status_code == 422  # not its hold
    assert client.post(f"/holds/{held['id']}/release", headers=agency).status_code == 204
    assert [seat_count(bookings, s["id"]) for s in slots] == [0, 0, 0]


def test_an_expired_hold_is_refused_and_the_sweeper_gives_its_seats_back(bookings_with, open_slot, new_quote, agency):
    app = bookings_with(checkout_hold_minutes=0)
    client = app.test_client()
    slots = three_visits(open_slot, 93)
    held = hold(client, agency, new_quote(), slots).json  # expires at once
    refused = book_hold(client, agency, held["id"])
    assert refused.status_code == 409 and refused.json["code"] == "HOLD_EXPIRED"
    with app.app_context():  # the sweeper's round: holds, then the event log's relay
        assert sweeper.sweep()["reclaimed"] == 1
        events.relay()
    assert [seat_count(app, s["id"]) for s in slots] == [0, 0, 0] and booking_count(app) == 0
    late = book_hold(client, agency, held["id"])  # still "expired", not "unknown", once its seats went back
    assert late.status_code == 409 and late.json["code"] == "HOLD_EXPIRED", late.json
    feed = client.get("/events?types=hold.expired", headers=agency).json["items"]  # the agency is told
    assert [(e["type"], e["resource"], e["data"]["slotIds"]) for e in feed] == [
        ("hold.expired", {"type": "hold", "id": held["id"]}, [s["id"] for s in slots])
    ]


def test_a_hold_needs_a_slot_for_every_visit_inside_the_window(client, open_slot, new_quote, agency):
    quote = new_quote()
    slots = three_visits(open_slot, 94)
    short = hold(client, agency, quote, slots[:2])
    assert short.status_code == 400 and short.json["errors"][0]["field"] == "slotIds"
    outside = hold(client, agency, quote, [slots[0], open_slot(in_days(94 + 10, "10:00")), slots[2]])
    assert outside.status_code == 422 and outside.json["code"] == "VISIT_OUTSIDE_WINDOW"
    assert outside.json["errors"][0]["field"] == "slotIds[1]"


def test_a_refused_booking_of_a_hold_leaves_the_hold_as_it_was(bookings, client, open_slot, new_quote, agency):
    held = hold(client, agency, new_quote(), three_visits(open_slot, 95)).json
    with bookings.app_context():
        expiry = ledger.hold_by_id(held["id"])["expires_at"]
    other = new_quote()["id"]
    for _ in range(3):  # however often a partner sends a call that is refused
        refused = client.post(
            "/bookings",
            json={"holdId": held["id"], "quoteId": other, "patient": PATIENT},
            headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert refused.status_code == 422 and refused.json["code"] == "UNKNOWN_QUOTE", refused.json
    with bookings.app_context():
        assert ledger.hold_by_id(held["id"])["expires_at"] == expiry  # neither pushed on nor cut short
    assert book_hold(client, agency, held["id"]).status_code == 201


def test_the_sweeper_leaves_a_hold_being_booked_alone(bookings, client, open_slot, new_quote, agency, monkeypatch):
    slots = three_visits(open_slot, 96)
    held = hold(client, agency, new_quote(), slots).json
    with bookings.app_context():
        expiry = ledger.hold_by_id(held["id"])["expires_at"]
    lock = packages.lock
    swept = []

    def sweep_meanwhile(*args):  # the sweeper runs, just past the hold's expiry, while the booking is being made
        with bookings.app_context():
            swept.append(sweeper.sweep(now=expiry + timedelta(seconds=30)))
        return lock(*args)

    monkeypatch.setattr(packages, "lock", sweep_meanwhile)
    made = book_hold(client, agency, held["id"])
    assert made.status_code == 201, made.json
    assert swept and swept[0]["reclaimed"] == 0
    assert [seat_count(bookings, s["id"]) for s in slots] == [1, 1, 1]
    assert client.get("/events?types=hold.expired", headers=agency).json["items"] == []
    seats_are_owned(bookings)
