"""Each visit on its own: marked one by one, moved to another slot, and refunded when not delivered."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support import (
    HOLD_SECONDS,
    ORACLE,
    body_for,
    in_days,
    post,
    running_service,
    seat_count,
    series,
    sweep,
)


@pytest.fixture
def clinic_admin(bearer):
    return bearer("CLINIC_ADMIN", clinic=ORACLE)


def step(client, reference: str, action: str, headers: dict, visit: int | None = None):
    body = {} if visit is None else {"visit": visit}
    return client.post(f"/bookings/{reference}/{action}", json=body, headers=headers)


def move(client, reference: str, visit: int, slot_id: str, headers: dict, key: str | None = None):
    return client.post(
        f"/bookings/{reference}/visits/{visit}/reschedule",
        json={"slotId": slot_id},
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def booked_series(client, agency, open_slot, new_quote, first_day: int, **shape) -> tuple[dict, list[dict]]:
    slots = series(open_slot, first_day, **shape)
    made = post(client, agency, body_for(new_quote(), slots))
    assert made.status_code == 201, made.json
    return made.json, slots


def statuses(booking: dict) -> list[str]:
    return [visit["status"] for visit in booking["visits"]]


def test_visits_are_marked_one_by_one_and_the_booking_follows_them(client, open_slot, new_quote, agency, clinic_admin):
    booking, _ = booked_series(client, agency, open_slot, new_quote, 90)
    reference = booking["reference"]
    assert statuses(booking) == ["BOOKED"] * 3 and booking["status"] == "PENDING"
    assert booking["visits"][2]["procedures"] == ["TCA_CROSS", "FRACTIONAL_CO2_LASER"]  # three sessions of each
    assert step(client, reference, "arrive", clinic_admin).json["code"] == "INVALID_TRANSITION"  # not confirmed
    assert step(client, reference, "confirm", clinic_admin).json["status"] == "BOOKED"
    arrived = step(client, reference, "arrive", clinic_admin).json  # the next visit still to come: the first
    assert (arrived["status"], statuses(arrived)) == ("ARRIVED", ["ARRIVED", "BOOKED", "BOOKED"])
    done = step(client, reference, "fulfill", clinic_admin).json
    assert (done["status"], statuses(done)) == ("BOOKED", ["FULFILLED", "BOOKED", "BOOKED"])  # two still to come
    missed = step(client, reference, "no-show", clinic_admin, visit=2).json
    assert (missed["status"], statuses(missed)) == ("BOOKED", ["FULFILLED", "NOSHOW", "BOOKED"])
    refused = step(client, reference, "fulfill", clinic_admin, visit=2)
    assert refused.status_code == 409 and refused.json["errors"] == [{"field": "visit", "message": "visit 2 is NOSHOW"}]
    unknown = step(client, reference, "arrive", clinic_admin, visit=4)
    assert unknown.status_code == 422 and unknown.json["code"] == "UNKNOWN_VISIT"
    step(client, reference, "arrive", clinic_admin)
    last = step(client, reference, "fulfill", clinic_admin, visit=3).json
    assert (last["status"], statuses(last)) == ("FULFILLED", ["FULFILLED", "NOSHOW", "FULFILLED"])
    marks = [(h["visit"], h["from"], h["to"], h["by"]) for h in last["history"] if h["visit"]]
    assert marks == [
        (1, "BOOKED", "ARRIVED", "test-clinic_admin"),
        (1, "ARRIVED", "FULFILLED", "test-clinic_admin"),
        (2, "BOOKED", "NOSHOW", "test-clinic_admin"),
        (3, "BOOKED", "ARRIVED", "test-clinic_admin"),
        (3, "ARRIVED", "FULFILLED", "test-clinic_admin"),
    ]
    assert step(client, reference, "cancel", agency).status_code == 409  # nothing is left to cancel


def test_cancelling_midway_frees_the_seats_to_come_and_refunds_only_those_visits(
    bookings, client, open_slot, new_quote, agency, clinic_admin
):
    booking, slots = booked_series(client, agency, open_slot, new_quote, 91)
    reference = booking["reference"]
    for action in ("confirm", "arrive", "fulfill"):
        step(client, reference, action, clinic_admin)
    cancelled = step(client, reference, "cancel", agency).json
    assert cancelled["status"] == "CANCELLED" and statuses(cancelled) == ["FULFILLED", "CANCELLED", "CANCELLED"]
    assert [seat_count(bookings, s["id"]) for s in slots] == [1, 0, 0]  # the visit that took place keeps its seat
    refund = cancelled["refund"]
    assert (refund["visitsRefunded"], refund["visits"], refund["percent"]) == (2, 3, 100)  # visit 2 is 121 days away
    assert refund["krw"] == booking["price"]["total"]["krw"] * 2 // 3


def test_a_visit_moves_to_a_free_slot_and_the_care_plan_follows(bookings, client, open_slot, new_quote, agency):
    booking, slots = booked_series(client, agency, open_slot, new_quote, 92)
    reference = booking["reference"]
    later = open_slot(in_days(92 + 33, "14:00"))
    key = uuid.uuid4().hex
    moved = move(client, reference, 2, later["id"], agency, key)
    assert moved.status_code == 200, moved.json
    assert moved.json["reference"] == reference and moved.json["visits"][1]["slotId"] == later["id"]
    assert [seat_count(bookings, s["id"]) for s in (*slots, later)] == [1, 0, 1, 1]
    entry = moved.json["history"][-1]
    assert (entry["visit"], entry["moved"]) == (
        2,
        {"from": slots[1]["start"], "to": later["start"], "slotId": later["id"]},
    )
    plan = client.get(f"/bookings/{reference}/care-plan", headers=agency).json
    assert [e["start"]["seoul"] for e in plan["events"] if e["kind"] == "VISIT"][1] == later["start"]
    replayed = move(client, reference, 2, later["id"], agency, key)
    assert replayed.headers.get("Idempotent-Replayed") == "true" and replayed.json == moved.json
    again = move(client, reference, 2, later["id"], agency)  # a retry under a new key: the move is done
    assert again.status_code == 200 and len(again.json["history"]) == len(moved.json["history"])
    assert [seat_count(bookings, s["id"]) for s in (*slots, later)] == [1, 0, 1, 1]


def test_concurrent_retries_of_a_move_take_the_new_seat_once(
    bookings, bookings_processes, client, open_slot, new_quote, agency
):
    booking, slots = booked_series(client, agency, open_slot, new_quote, 93)
    target = open_slot(in_days(93 + 31, "15:00"), capacity=5)

    def retry(index: int) -> requests.Response:
        url = f"{bookings_processes[index % 3]}/bookings/{booking['reference']}/visits/2/reschedule"
        headers = {**agency, "Idempotency-Key": uuid.uuid4().hex}
        return requests.post(url, json={"slotId": target["id"]}, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=9) as pool:
        answers = list(pool.map(retry, range(9)))
    assert {a.status_code for a in answers} == {200}, [a.json() for a in answers]
    assert [seat_count(bookings, s["id"]) for s in (*slots, target)] == [1, 0, 1, 1]
    history = client.get(f"/bookings/{booking['reference']}", headers=agency).json["history"]
    assert sum(1 for entry in history if entry["moved"]) == 1


def test_a_move_that_breaks_the_window_or_comes_too_late_is_refused_and_changes_nothing(
    bookings, client, open_slot, new_quote, agency, bearer
):
    booking, slots = booked_series(client, agency, open_slot, new_quote, 94)
    reference = booking["reference"]
    early = open_slot(in_days(94 + 20, "16:00"))  # 20 days after visit 1: the window is 28 to 42
    refused = move(client, reference, 2, early["id"], agency)
    assert refused.status_code == 422 and refused.json["code"] == "VISIT_OUTSIDE_WINDOW"
    assert refused.json["errors"] == [
        {"field": "slotId", "message": "20 days after visit 1; 28 to 42 allowed"},
        {"field": "slotId", "message": "45 days before visit 3; 28 to 42 allowed"},
    ]
    squeezed = open_slot(in_days(94 + 30 + 35 - 25, "16:00"))  # fine after visit 1, 25 days before visit 3
    refused = move(client, reference, 2, squeezed["id"], agency)
    assert refused.json["errors"] == [{"field": "slotId", "message": "25 days before visit 3; 28 to 42 allowed"}]
    assert [seat_count(bookings, s["id"]) for s in (*slots, early, squeezed)] == [1, 1, 1, 0, 0]
    soon = series(open_slot, 2)  # the first visit inside the 72 hours' notice a move needs
    single = post(client, agency, body_for(new_quote(), soon)).json
    too_late = move(client, single["reference"], 1, open_slot(in_days(9, "10:00"))["id"], agency)
    assert too_late.status_code == 409 and too_late.json["code"] == "TOO_LATE_TO_RESCHEDULE"
    later = open_slot(in_days(94 + 31, "16:00"))
    for stranger in (bearer("AGENCY", agency="busan-tours"), bearer("CLINIC_ADMIN", clinic="seoul-national-hospital")):
        assert move(client, reference, 2, later["id"], stranger).status_code == 404  # not theirs to see
    assert seat_count(bookings, later["id"]) == 0


@pytest.mark.parametrize("crash,kept", [("bookings.after_move_seat", "old"), ("bookings.after_move_record", "new")])
def test_a_move_killed_halfway_leaves_one_seat_once_swept(
    bookings, client, open_slot, new_quote, agency, env, crash, kept
):
    booking, slots = booked_series(client, agency, open_slot, new_quote, 95 if kept == "old" else 96)
    target = open_slot(in_days((95 if kept == "old" else 96) + 32, "17:00"))
    try:
        with running_service("bookings", {**env, "FAILPOINTS": crash}) as crashing:
            requests.post(
                f"{crashing}/bookings/{booking['reference']}/visits/2/reschedule",
                json={"slotId": target["id"]},
                headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
                timeout=30,
            )
        raise AssertionError("the process should have died")
    except requests.ConnectionError:
        pass
    assert [seat_count(bookings, s["id"]) for s in (slots[1], target)] == [1, 1]  # both held for the moment
    time.sleep(HOLD_SECONDS + 0.2)
    sweep(env)
    now = client.get(f"/bookings/{booking['reference']}", headers=agency).json
    expected = slots[1] if kept == "old" else target
    assert now["visits"][1]["slotId"] == expected["id"]
    assert [seat_count(bookings, s["id"]) for s in (slots[1], target)] == ([1, 0] if kept == "old" else [0, 1])
