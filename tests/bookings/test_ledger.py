"""The seat ledger: every seat taken, held, moved and given back by one guarded step at a time, so
neither a failure between two writes nor a race between two requests loses or leaks a seat, or
strands a quote.

Each test here first failed on the code before the ledger, on the defect it names.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pymongo.collection
import pytest
import requests
from pymongo.errors import AutoReconnect

from services.bookings import events, idempotency, sweeper
from services.common import failpoints
from services.common.clock import utcnow
from tests.support import (
    ORACLE,
    PATIENT,
    RECORDER,
    body_for,
    booking_count,
    in_days,
    lease_lapses,
    post,
    seat_count,
    seats_are_owned,
    series,
)


def move(client, reference: str, visit: int, slot_id: str, headers: dict, key: str | None = None):
    return client.post(
        f"/bookings/{reference}/visits/{visit}/reschedule",
        json={"slotId": slot_id},
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def hold(client, agency, quote: dict, slots: list[dict], key: str | None = None):
    return client.post(
        "/holds",
        json={"quoteId": quote["id"], "slotIds": [s["id"] for s in slots]},
        headers={**agency, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def wait_for(event: threading.Event, seconds: float) -> bool:
    """Whether ``event`` is set within ``seconds`` (by sleeping, not a timed wait: libfaketime, which
    ``make test-clock`` runs the suite under, stalls timed waits)."""
    deadline = time.monotonic() + seconds
    while not event.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)
    return event.is_set()


def pause_at(monkeypatch, name: str, until: threading.Event, reached: threading.Event | None = None, once=True):
    """Make the first request (or every one) that reaches failpoint ``name`` wait for ``until`` (3 s at most)."""
    fired = []

    def pause() -> None:
        if once and fired:
            return
        fired.append(name)
        if reached is not None:
            reached.set()
        wait_for(until, 3)

    monkeypatch.setitem(failpoints.ACTIVE, name, pause)


def sweep_at(app, now) -> dict:
    """The sweeper's round at ``now``: the ledger's claims, then the events into the log, as its process does."""
    with app.app_context():
        swept = sweeper.sweep(now=now)
        events.relay()
        return swept


# -- a recorded booking keeps its seats -----------------------------------------------------------------


def test_a_booking_whose_reply_from_the_database_is_lost_keeps_its_seats_and_its_reference(
    bookings, client, open_slot, new_quote, agency, monkeypatch
):
    slots = series(open_slot, 110)
    body, key = body_for(new_quote(), slots), uuid.uuid4().hex
    insert_one = pymongo.collection.Collection.insert_one

    def reply_lost(self, document, *args, **kwargs):  # the booking is written, its reply never arrives
        result = insert_one(self, document, *args, **kwargs)
        if self.name == "bookings":
            raise AutoReconnect("connection reset by peer")
        return result

    monkeypatch.setattr(pymongo.collection.Collection, "insert_one", reply_lost)
    first = post(client, agency, body, key)
    monkeypatch.setattr(pymongo.collection.Collection, "insert_one", insert_one)
    assert first.status_code == 503, first.json
    assert [seat_count(bookings, s["id"]) for s in slots] == [1, 1, 1]  # nothing given back

    retry = post(client, agency, body, key)
    assert retry.status_code == 201, retry.json
    assert booking_count(bookings) == 1
    sweep_at(bookings, utcnow() + timedelta(hours=1))
    assert [seat_count(bookings, s["id"]) for s in slots] == [1, 1, 1]
    seats_are_owned(bookings)


# -- two moves of one visit ------------------------------------------------------------------------------


def booked(client, agency, open_slot, new_quote, first_day: int) -> tuple[dict, list[dict]]:
    slots = series(open_slot, first_day)
    made = post(client, agency, body_for(new_quote(), slots))
    assert made.status_code == 201, made.json
    return made.json, slots


def test_an_agency_and_a_clinic_moving_one_visit_at_once_leave_one_seat(
    bookings, client, open_slot, new_quote, agency, bearer, monkeypatch
):
    booking, slots = booked(client, agency, open_slot, new_quote, 112)
    to_a, to_b = open_slot(in_days(112 + 31, "11:00")), open_slot(in_days(112 + 32, "11:00"))
    release, reached = threading.Event(), threading.Event()
    pause_at(monkeypatch, "bookings.after_move_seat", release, reached)  # the agency's move stops halfway

    with ThreadPoolExecutor(max_workers=2) as pool:
        by_agency = pool.submit(move, bookings.test_client(), booking["reference"], 2, to_a["id"], agency)
        assert wait_for(reached, 10)
        by_clinic = move(
            bookings.test_client(), booking["reference"], 2, to_b["id"], bearer("CLINIC_ADMIN", clinic=ORACLE)
        )
        release.set()
        answers = [by_agency.result(), by_clinic]
    assert all(a.status_code == 200 or a.json["code"] == "CONCURRENT_UPDATE" for a in answers), [
        a.json for a in answers
    ]
    now = client.get(f"/bookings/{booking['reference']}", headers=agency).json
    there = now["visits"][1]["slotId"]
    assert there in (to_a["id"], to_b["id"])
    assert [seat_count(bookings, s["id"]) for s in (slots[1], to_a, to_b)] == [
        0,
        int(there == to_a["id"]),
        int(there == to_b["id"]),
    ]
    seats_are_owned(bookings)


def test_twenty_rounds_of_racing_moves_of_one_visit_never_leak_a_seat(
    bookings, client, open_slot, new_quote, agency, bearer
):
    booking, slots = booked(client, agency, open_slot, new_quote, 114)
    reference, clinic = booking["reference"], bearer("CLINIC_ADMIN", clinic=ORACLE)
    targets = [open_slot(in_days(114 + 29 + n // 8, f"{9 + n % 8:02d}:30")) for n in range(40)]

    def race(round_: int) -> list[requests.Response]:
        with ThreadPoolExecutor(max_workers=2) as pool:
            jobs = [
                pool.submit(move, bookings.test_client(), reference, 2, targets[2 * round_]["id"], agency),
                pool.submit(move, bookings.test_client(), reference, 2, targets[2 * round_ + 1]["id"], clinic),
            ]
            return [job.result() for job in jobs]

    for round_ in range(20):
        for answer in race(round_):
            assert answer.status_code == 200 or answer.json["code"] == "CONCURRENT_UPDATE", answer.json
    there = client.get(f"/bookings/{reference}", headers=agency).json["visits"][1]["slotId"]
    assert [seat_count(bookings, t["id"]) for t in targets].count(1) == 1
    assert seat_count(bookings, there) == 1 and seat_count(bookings, slots[1]["id"]) == 0
    seats_are_owned(bookings)


# -- the sweeper and a booking from a hold ------------------------------------------------------------------


def test_twenty_rounds_of_the_sweeper_against_a_booking_from_a_hold_at_its_expiry(
    bookings, client, open_slot, new_quote, agency
):
    outcomes = []
    for round_ in range(20):
        slots = series(open_slot, 120 + round_, capacity=(1, 1, 1))
        held = hold(client, agency, new_quote(), slots)
        assert held.status_code == 201, held.json
        expiry = held.json["expiresAt"]
        with ThreadPoolExecutor(max_workers=2) as pool:
            booking = pool.submit(post, bookings.test_client(), agency, {"holdId": held.json["id"], "patient": PATIENT})
            swept = pool.submit(sweep_at, bookings, utcnow().replace(microsecond=0) + timedelta(minutes=16))
            answer, _ = booking.result(), swept.result()
        told = [
            e["type"]
            for e in client.get("/events?types=hold.expired,booking.created", headers=agency).json["items"]
            if e["resource"]["id"] in (held.json["id"], answer.json.get("reference"))
        ]
        if answer.status_code == 201:
            assert told == ["booking.created"] and [seat_count(bookings, s["id"]) for s in slots] == [1, 1, 1]
        else:
            assert answer.json["code"] == "HOLD_EXPIRED", (expiry, answer.json)
            assert told == ["hold.expired"] and [seat_count(bookings, s["id"]) for s in slots] == [0, 0, 0]
        outcomes.append(answer.status_code)
    seats_are_owned(bookings)


# -- quotes are never stranded ----------------------------------------------------------------------------


def test_a_quote_whose_lock_reply_was_lost_is_given_back_once_the_reservation_expires(
    bookings, client, open_slot, new_quote, agency, monkeypatch
):
    slots = series(open_slot, 150)
    quote = new_quote()
    request = requests.Session.request

    def lock_reply_lost(self, method, url, *args, **kwargs):  # the packages service locks it; the reply is lost
        answer = request(self, method, url, *args, **kwargs)
        if url.endswith("/lock"):
            raise requests.ReadTimeout("read timed out")
        return answer

    monkeypatch.setattr(requests.Session, "request", lock_reply_lost)
    first = post(client, agency, body_for(quote, slots))
    monkeypatch.setattr(requests.Session, "request", request)
    assert first.status_code == 503, first.json
    again = post(client, agency, body_for(quote, slots))  # a new key: the quote is still in use, for now
    assert again.status_code == 409 and again.json["code"] == "QUOTE_ALREADY_LOCKED", again.json

    sweep_at(bookings, utcnow() + timedelta(minutes=5))  # the failed reservation has expired
    later = post(client, agency, body_for(quote, slots))
    assert later.status_code == 201, later.json
    seats_are_owned(bookings)


def test_an_expired_hold_gives_its_quote_back(bookings_with, open_slot, new_quote, agency):
    app = bookings_with(checkout_hold_minutes=0)
    client = app.test_client()
    quote = new_quote()
    held = hold(client, agency, quote, series(open_slot, 152))
    assert held.status_code == 201, held.json
    assert sweep_at(app, utcnow() + timedelta(seconds=1))["reclaimed"] == 1
    booked = post(client, agency, body_for(quote, series(open_slot, 153)))  # the same quote, booked for good
    assert booked.status_code == 201, booked.json


# -- idempotency keys are fenced ----------------------------------------------------------------------------


def test_a_request_stalled_past_its_lease_cannot_undo_what_its_retry_did(
    bookings, client, open_slot, new_quote, agency, monkeypatch
):
    slots = series(open_slot, 160)
    body, key = body_for(new_quote(), slots), uuid.uuid4().hex
    release, reached = threading.Event(), threading.Event()
    pause_at(monkeypatch, "bookings.after_seat", release, reached)  # stalls with its first seat taken

    with ThreadPoolExecutor(max_workers=1) as pool:
        stalled = pool.submit(post, bookings.test_client(), agency, body, key)
        assert wait_for(reached, 10)
        lease_lapses(bookings, key)  # as if it stalled for longer than its lease
        retry = post(client, agency, body, key)
        assert retry.status_code == 201, retry.json
        release.set()
        late = stalled.result()
    assert late.status_code in (201, 409, 503), late.json
    assert late.status_code != 201 or late.json["reference"] == retry.json["reference"]
    assert [seat_count(bookings, s["id"]) for s in slots] == [1, 1, 1] and booking_count(bookings) == 1
    replay = post(client, agency, body, key)
    assert replay.status_code == 201 and replay.json == retry.json
    seats_are_owned(bookings)


@pytest.mark.real_waits
def test_a_slow_request_keeps_its_key_while_it_works(bookings, client, open_slot, new_quote, agency, monkeypatch):
    monkeypatch.setattr(idempotency, "LEASE", timedelta(seconds=0.6))
    slots = series(open_slot, 162)
    body, key = body_for(new_quote(), slots), uuid.uuid4().hex
    release, reached = threading.Event(), threading.Event()
    pause_at(monkeypatch, "bookings.after_seat", release, reached)

    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(post, bookings.test_client(), agency, body, key)
        assert wait_for(reached, 10)
        time.sleep(2)  # longer than the lease: it is renewed while the request works
        retry = post(client, agency, body, key)
        release.set()
        first = slow.result()
    assert retry.status_code == 409 and retry.json["code"] == "IDEMPOTENCY_KEY_IN_FLIGHT", retry.json
    assert first.status_code == 201 and booking_count(bookings) == 1


# -- what a partner is told ------------------------------------------------------------------------------


def test_no_slot_in_a_window_names_no_field_the_partner_did_not_send(client, open_slot, new_quote, agency):
    first = open_slot(in_days(170, "10:00"))  # no slot at all for the later visits
    refused = post(client, agency, {"quoteId": new_quote()["id"], "slotId": first["id"], "patient": PATIENT})
    assert refused.status_code == 409 and refused.json["code"] == "NO_SLOT_IN_WINDOW", refused.json
    assert "laterSlotIds" not in str(refused.json.get("errors")) and "Visit 2" in refused.json["detail"]


def test_racing_cancellations_of_one_booking_cancel_it_once_and_give_every_seat_back(
    bookings, client, open_slot, new_quote, agency, bearer
):
    for round_ in range(5):
        booking, slots = booked(client, agency, open_slot, new_quote, 180 + round_)
        path, clinic = f"/bookings/{booking['reference']}/cancel", bearer("CLINIC_ADMIN", clinic=ORACLE)
        with ThreadPoolExecutor(max_workers=3) as pool:
            answers = list(
                pool.map(
                    lambda headers: bookings.test_client().post(path, json={}, headers=headers),
                    [agency, clinic, agency],
                )
            )
        assert sorted(a.status_code for a in answers) == [200, 409, 409], [a.json for a in answers]
        assert all(
            a.json["code"] in ("INVALID_TRANSITION", "CONCURRENT_UPDATE") for a in answers if a.status_code == 409
        )
        assert [seat_count(bookings, s["id"]) for s in slots] == [0, 0, 0]
    seats_are_owned(bookings)


# -- what the ledger costs ----------------------------------------------------------------------------------

OPERATIONS_BEFORE_THE_LEDGER = 14  # a booking of 3 visits, measured on the code before it (a hold, 3 seats, the rest)
# What a booking reads since, besides the ledger: the agency's and the clinic's registrations (one read) and the
# agreement between them, then what the clinic withdrew meanwhile (its slots closed since, one read).
OPERATIONS_OF_LATER_RULES = 3


def test_a_booking_costs_at_most_one_more_database_operation_per_visit_than_before_the_ledger(
    client, open_slot, new_quote, agency
):
    slots = series(open_slot, 190)
    body = body_for(new_quote(), slots)
    with RECORDER.recording() as commands:
        made = post(client, agency, body)
    assert made.status_code == 201, made.json
    sent = [name for name, _database, _command in commands if name != "getMore"]
    assert len(sent) <= OPERATIONS_BEFORE_THE_LEDGER + OPERATIONS_OF_LATER_RULES + len(slots), sent


def test_a_request_stalled_until_the_sweeper_released_its_claim_gives_back_the_quote_it_locks_late(
    bookings, client, open_slot, new_quote, agency, monkeypatch, packages_url, bearer
):
    slots = series(open_slot, 200)
    quote = new_quote()
    body, key = body_for(quote, slots), uuid.uuid4().hex
    release, reached = threading.Event(), threading.Event()
    pause_at(monkeypatch, "bookings.after_reserve", release, reached)  # stalls before it locks the quote

    with ThreadPoolExecutor(max_workers=1) as pool:
        stalled = pool.submit(post, bookings.test_client(), agency, body, key)
        assert wait_for(reached, 10)
        sweep_at(bookings, utcnow() + timedelta(minutes=5))  # its reservation expires and is released
        release.set()
        late = stalled.result()
    assert late.status_code == 409 and late.json["code"] == "IDEMPOTENCY_KEY_IN_FLIGHT", late.json
    locked = requests.get(f"{packages_url}/quotes/{quote['id']}", headers=bearer("PLATFORM_ADMIN"), timeout=10).json()
    assert locked["lockedBy"] is None  # it locked the quote after its claim was released, then gave it back
    assert [seat_count(bookings, s["id"]) for s in slots] == [0, 0, 0]

    lease_lapses(bookings, key)
    retry = post(client, agency, body, key)  # the key's reservation was released for good: a new one
    assert retry.status_code == 201, retry.json
    assert [seat_count(bookings, s["id"]) for s in slots] == [1, 1, 1] and booking_count(bookings) == 1
    seats_are_owned(bookings)


def test_an_interpreters_half_hours_are_taken_in_order_and_one_that_loses_the_first_takes_none_of_the_rest(bookings):
    """Two bookings after the same interpreter's hour meet at its first half hour: the one that loses it holds
    nothing of hers afterwards, so it moves on to the next interpreter while the other takes the whole hour
    (were the rest taken anyway, each could hold a half hour the other needs, and both lose her)."""
    from services.bookings import store

    hour = [{"id": f"time|test-{uuid.uuid4().hex[:6]}|{n}", "capacity": 1} for n in range(3)]
    with bookings.app_context():
        assert store.take_units(hour[:1], "first/1") is None  # the first booking has her first half hour
        assert store.take_units(hour, "second/1") == 0  # the second loses it, and stops there
        taken = store.units_by_id([unit["id"] for unit in hour])
        assert [taken[unit["id"]]["holders"] if unit["id"] in taken else [] for unit in hour] == [["first/1"], [], []]
        assert store.take_units(hour, "first/1") == 0  # its own half hour: the ledger goes on past it
        assert store.take_units(hour[1:], "first/1") is None
        taken = store.units_by_id([unit["id"] for unit in hour])
        assert [taken[unit["id"]]["holders"] for unit in hour] == [["first/1"]] * 3
