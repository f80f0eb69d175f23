"""A booking of every visit: a seat of each slot, all or nothing, under concurrency and crashes."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from services.common import failpoints
from tests.support import (
    HOLD_SECONDS,
    PATIENT,
    body_for,
    book_on,
    booking_count,
    in_days,
    lease_lapses,
    post,
    running_service,
    seat_count,
    seats_are_owned,
    seoul_day,
    series,
    sweep,
)


def test_a_series_takes_a_seat_of_every_visit_and_the_care_plan_follows_them(
    bookings, client, open_slot, new_quote, agency
):
    slots = series(open_slot, 60)
    made = post(client, agency, body_for(new_quote(), slots, {**PATIENT, "homeTimeZone": "America/New_York"}))
    assert made.status_code == 201, made.json
    assert [v["slotId"] for v in made.json["visits"]] == [s["id"] for s in slots]
    assert [seat_count(bookings, s["id"]) for s in slots] == [1, 1, 1]
    plan = client.get(f"/bookings/{made.json['reference']}/care-plan", headers=agency).json
    starts = [e["start"]["seoul"] for e in plan["events"] if e["kind"] == "VISIT"]
    assert starts == [s["start"] for s in slots]  # the reserved dates (30 and 35 days apart), not computed ones
    cancelled = client.post(f"/bookings/{made.json['reference']}/cancel", json={}, headers=agency)
    assert cancelled.status_code == 200 and [seat_count(bookings, s["id"]) for s in slots] == [0, 0, 0]


def test_a_series_is_booked_whole_or_not_at_all(bookings, client, open_slot, new_quote, agency, bearer):
    slots = series(open_slot, 61, capacity=(3, 3, 1))
    others = [open_slot(in_days(day, "12:00")) for day in (61, 91)]  # another series, ending in our third slot
    taken = post(client, agency, body_for(new_quote(), [*others, slots[2]]))
    assert taken.status_code == 201  # the third visit's only seat goes to another booking
    refused = post(client, agency, body_for(new_quote(), slots))
    assert refused.status_code == 409 and refused.json["code"] == "SLOT_FULL"
    assert refused.json["errors"] == [{"field": "laterSlotIds[1]", "message": "full"}]
    assert [seat_count(bookings, s["id"]) for s in slots] == [0, 0, 1] and booking_count(bookings) == 1


def test_every_later_visit_must_lie_inside_the_window(bookings, client, open_slot, new_quote, agency):
    slots = series(open_slot, 62, gaps=(20, 30))
    refused = post(client, agency, body_for(new_quote(), slots))
    assert refused.status_code == 422 and refused.json["code"] == "VISIT_OUTSIDE_WINDOW"
    assert [e["field"] for e in refused.json["errors"]] == ["laterSlotIds[0]"]
    short = post(client, agency, {**body_for(new_quote(), slots), "laterSlotIds": [slots[1]["id"]]})
    assert short.status_code == 400 and short.json["errors"][0]["field"] == "laterSlotIds"
    assert [seat_count(bookings, s["id"]) for s in slots] == [0, 0, 0] and booking_count(bookings) == 0


def test_three_processes_racing_for_series_that_share_slots_leave_no_partial_set(
    bookings, bookings_processes, open_slot, new_quote, bearer
):
    shared = series(open_slot, 70, capacity=(6, 2, 6))  # the second visit has two seats
    agency = bearer("AGENCY", agency="seoul-trips", ttl=300)
    quotes = [new_quote()["id"] for _ in range(12)]

    def attempt(index: int) -> requests.Response:
        """Bookings of the series and checkout holds of it, alternately, on three processes."""
        base = bookings_processes[index % 3]
        headers = {**agency, "Idempotency-Key": uuid.uuid4().hex}
        if index % 2:
            body = {"quoteId": quotes[index], "slotIds": [s["id"] for s in shared]}
            return requests.post(f"{base}/holds", json=body, headers=headers, timeout=60)
        return requests.post(
            f"{base}/bookings", json=body_for({"id": quotes[index]}, shared), headers=headers, timeout=60
        )

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(attempt, range(12)))
    outcomes = Counter(a.status_code if a.status_code == 201 else a.json()["code"] for a in answers)
    assert outcomes == {201: 2, "SLOT_FULL": 10}
    assert [seat_count(bookings, s["id"]) for s in shared] == [2, 2, 2]
    seats_are_owned(bookings)  # by the bookings and live holds that won, whole, and nothing else


def test_a_process_killed_after_the_second_seat_leaves_nothing_once_swept(bookings, open_slot, new_quote, agency, env):
    slots = series(open_slot, 80)
    body, key = body_for(new_quote(), slots), uuid.uuid4().hex
    try:
        with running_service("bookings", {**env, "FAILPOINTS": "bookings.after_seat.2"}) as crashing:
            book_on(crashing, agency, body, key)
        raise AssertionError("the process should have died")
    except requests.ConnectionError:
        pass
    assert [seat_count(bookings, s["id"]) for s in slots] == [1, 1, 0] and booking_count(bookings) == 0
    time.sleep(HOLD_SECONDS + 0.2)
    assert sweep(env)["reclaimed"] == 1
    assert [seat_count(bookings, s["id"]) for s in slots] == [0, 0, 0]
    lease_lapses(bookings, key)  # the agency retries with the same key: the same booking, whole
    with running_service("bookings", env) as healthy:
        retry = book_on(healthy, agency, body, key)
    assert retry.status_code == 201, retry.json()
    assert [seat_count(bookings, s["id"]) for s in slots] == [1, 1, 1] and booking_count(bookings) == 1


def test_the_patients_trips_must_hold_every_visit_with_its_stay(bookings, client, open_slot, new_quote, agency):
    slots = series(open_slot, 100)  # days 100, 130 and 165; the ice-pick package needs 5 days after each visit
    short = [
        {"arrive": seoul_day(99), "depart": seoul_day(110)},
        {"arrive": seoul_day(129), "depart": seoul_day(133)},  # visit 2 needs until day 135
    ]
    refused = post(client, agency, {**body_for(new_quote(), slots), "travel": short})
    assert refused.status_code == 422 and refused.json["code"] == "TRIP_TOO_SHORT"
    assert refused.json["errors"] == [
        {
            "field": "laterSlotIds[0]",
            "message": f"visit 2 on {seoul_day(130)} needs a stay until {seoul_day(135)}; its trip departs {seoul_day(133)}",
        },
        {"field": "laterSlotIds[1]", "message": f"visit 3 on {seoul_day(165)} falls in no trip (after its arrival)"},
    ]
    assert [seat_count(bookings, s["id"]) for s in slots] == [0, 0, 0] and booking_count(bookings) == 0
    travel = [
        {"arrive": seoul_day(99), "depart": seoul_day(110)},
        {"arrive": seoul_day(129), "depart": seoul_day(140)},
        {"arrive": seoul_day(164), "depart": seoul_day(175)},
    ]
    made = post(client, agency, {**body_for(new_quote(), slots), "travel": travel})
    assert made.status_code == 201 and made.json["travel"] == travel
    outside = open_slot(in_days(129, "09:00"))  # inside the window, but the day the second trip arrives
    moved = client.post(
        f"/bookings/{made.json['reference']}/visits/2/reschedule",
        json={"slotId": outside["id"]},
        headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert moved.status_code == 422 and moved.json["code"] == "TRIP_TOO_SHORT"
    assert moved.json["errors"] == [
        {"field": "slotId", "message": f"visit 2 on {seoul_day(129)} falls in no trip (after its arrival)"}
    ]
    assert seat_count(bookings, outside["id"]) == 0


def test_in_a_rush_for_the_last_seat_the_booking_that_asked_first_has_it_however_long_its_plan_takes(
    bookings, open_slot, later_visits, new_quote, agency, monkeypatch
):
    """A series' first seat is taken as soon as its quote is locked, before its later visits are worked out
    (with an interpreter and follow-ups that is many reads): a plain booking arriving meanwhile finds it full."""
    slot = open_slot(in_days(23), capacity=1)
    later_visits(slot)
    planned, go_on = threading.Event(), threading.Event()

    def planning():  # the series has worked out its plan and recorded it; it stalls there
        planned.set()
        assert go_on.wait(20)

    monkeypatch.setitem(failpoints.ACTIVE, "bookings.after_place", planning)
    answers: dict = {}

    def book(name: str) -> None:
        body = {"quoteId": new_quote()["id"], "slotId": slot["id"], "patient": PATIENT}
        headers = {**agency, "Idempotency-Key": uuid.uuid4().hex}
        answers[name] = bookings.test_client().post("/bookings", json=body, headers=headers)

    first = threading.Thread(target=book, args=("first",))
    first.start()
    assert planned.wait(20)
    monkeypatch.delitem(failpoints.ACTIVE, "bookings.after_place")
    book("second")
    go_on.set()
    first.join(30)
    assert answers["second"].status_code == 409 and answers["second"].json["code"] == "SLOT_FULL"
    assert answers["first"].status_code == 201, answers["first"].json
    assert seat_count(bookings, slot["id"]) == 1 == booking_count(bookings)
