"""Changes the clinic starts: a slot, a day or an interpreter's hours withdrawn from visits booked on them.
The visits become CHANGE_PROPOSED with alternatives that fit the rules of a move; the agency accepts one
(the same reference, the seat moved through the ledger) or declines (the visit cancelled and its share of
the price refunded in full)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from services.bookings import events, seed, store, sweeper
from services.common import failpoints
from services.common.clock import seoul_today, utcnow
from tests.bookings.test_follow_ups import ASAN, ASAN_PACKAGE, book_series
from tests.bookings.test_follow_ups import _asan_package as asan_package
from tests.bookings.test_follow_ups import _asan_series as asan_series
from tests.support import (
    ORACLE,
    PATIENT,
    body_for,
    in_days,
    post,
    seat_count,
    seats_are_owned,
    seoul,
    seoul_day,
    series,
)

AIKO = str(seed.interpreter_id("seoul-medical-interpreters", "Aiko Tanaka"))  # the provider's one Japanese interpreter


@pytest.fixture
def clinic_admin(bearer):
    return bearer("CLINIC_ADMIN", clinic=ORACLE)


def booked(client, agency, quote, slots) -> dict:
    made = post(client, agency, body_for(quote, slots))
    assert made.status_code == 201, made.json
    return made.json


def read(client, reference: str, headers: dict) -> dict:
    answer = client.get(f"/bookings/{reference}", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def accept(client, reference: str, visit: int, slot_id: str, headers: dict, key: str | None = None):
    return client.post(
        f"/bookings/{reference}/visits/{visit}/accept-change",
        json={"slotId": slot_id},
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def decline(client, reference: str, visit: int, headers: dict):
    return client.post(
        f"/bookings/{reference}/visits/{visit}/decline-change",
        json={"reason": "The patient cannot travel then."},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )


def close(client, slot_id: str, headers: dict):
    answer = client.post(f"/slots/{slot_id}/close", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer


def free_slots(client, headers: dict, first: int, last: int) -> dict[str, str]:
    """Oracle's slots between two days from today, by id: FREE, BUSY or CLOSED."""
    query = {"clinic": ORACLE, "from": seoul_day(first), "to": seoul_day(last), "limit": 100}
    return {
        slot["id"]: slot["status"] for slot in client.get("/slots", query_string=query, headers=headers).json["items"]
    }


def sweep_at(app, now) -> dict:
    """The sweeper's round at ``now``, then the events into the log, as its process does."""
    with app.app_context():
        swept = sweeper.sweep(now=now)
        events.relay()
        return swept


def event_types(client, headers: dict, reference: str) -> list[str]:
    items = client.get("/events", query_string={"limit": 100}, headers=headers).json["items"]
    return [e["type"] for e in items if e["resource"]["id"] == reference]


def test_closing_a_held_slot_proposes_alternatives_and_accepting_one_keeps_the_reference(
    bookings, client, open_slot, new_quote, agency, clinic_admin
):
    booking = booked(client, agency, new_quote(), series(open_slot, 95))
    reference, slots = booking["reference"], [v["slotId"] for v in booking["visits"]]
    # Visit 2 (day 125) may move between 28 and 42 days after visit 1 (day 95) and before visit 3 (day 160).
    fits = [open_slot(in_days(127, "14:00")), open_slot(in_days(128, "09:00"))]
    outside = open_slot(in_days(140, "10:00"))  # more than 42 days after visit 1... and too close to visit 3
    closed = close(client, slots[1], clinic_admin)
    assert closed.json["status"] == "CLOSED" and closed.headers["X-Visits-Proposed"] == "1"

    proposed = read(client, reference, agency)
    visit = proposed["visits"][1]
    assert (proposed["status"], visit["status"], visit["slotId"]) == ("PENDING", "CHANGE_PROPOSED", slots[1])
    change = visit["proposedChange"]
    assert (change["reason"], change["withdrawnSlotId"]) == ("SLOT_CLOSED", slots[1])
    assert [a["slotId"] for a in change["alternatives"]] == [fits[0]["id"], fits[1]["id"]]
    assert [a["start"] for a in change["alternatives"]] == [fits[0]["start"], fits[1]["start"]]
    statuses = free_slots(client, clinic_admin, 120, 135)
    assert all(statuses[a["slotId"]] == "FREE" for a in change["alternatives"])  # every one bookable
    assert [v["status"] for v in proposed["visits"]] == ["BOOKED", "CHANGE_PROPOSED", "BOOKED"]
    assert proposed["history"][-1]["visitChange"] == {
        "from": "BOOKED",
        "to": "CHANGE_PROPOSED",
        "reason": "SLOT_CLOSED",
    }
    assert seat_count(bookings, slots[1]) == 1  # the seat stays claimed until the agency decides
    seats_are_owned(bookings)
    plan = client.get(f"/bookings/{reference}/care-plan", headers=agency).json
    assert [e.get("tentative", False) for e in plan["events"] if e["kind"] == "VISIT"] == [False, True, False]
    ics = client.get(f"/bookings/{reference}/care-plan.ics", headers=agency).get_data(as_text=True)
    assert ics.count("STATUS:TENTATIVE") == 1

    refused = accept(client, reference, 2, outside["id"], agency)  # never offered
    assert refused.status_code == 422 and refused.json["code"] == "ALTERNATIVE_NOT_OFFERED"
    assert refused.json["errors"][0]["field"] == "slotId"
    close(client, fits[0]["id"], clinic_admin)  # offered, then closed: stale
    stale = accept(client, reference, 2, fits[0]["id"], agency)
    assert stale.status_code == 409 and stale.json["code"] == "SLOT_CLOSED"
    assert stale.json["errors"] == [{"field": "slotId", "message": "closed"}]
    assert "new alternatives are offered" in stale.json["detail"]
    refreshed = read(client, reference, agency)  # the visit stays, its alternatives are those still fitting
    assert [a["slotId"] for a in refreshed["visits"][1]["proposedChange"]["alternatives"]] == [fits[1]["id"]]
    assert [v["slotId"] for v in refreshed["visits"]] == slots
    by_clinic = accept(client, reference, 2, fits[1]["id"], clinic_admin)  # the clinic may not decide for the patient
    assert by_clinic.status_code == 403
    assert read(client, reference, agency) == refreshed  # nothing changed
    assert [seat_count(bookings, s["id"]) for s in (*fits, outside)] == [0, 0, 0]

    key = uuid.uuid4().hex
    accepted = accept(client, reference, 2, fits[1]["id"], agency, key)
    assert accepted.status_code == 200, accepted.json
    moved = accepted.json
    assert moved["reference"] == reference and moved["status"] == "PENDING"
    assert (moved["visits"][1]["slotId"], moved["visits"][1]["status"]) == (fits[1]["id"], "BOOKED")
    assert moved["visits"][1]["proposedChange"] is None
    assert moved["history"][-1]["visitChange"] == {"from": "CHANGE_PROPOSED", "to": "BOOKED", "reason": "SLOT_CLOSED"}
    assert moved["history"][-1]["moved"]["slotId"] == fits[1]["id"]
    assert [seat_count(bookings, slot_id) for slot_id in (slots[1], fits[1]["id"])] == [0, 1]
    seats_are_owned(bookings)
    replayed = accept(client, reference, 2, fits[1]["id"], agency, key)
    assert replayed.headers.get("Idempotent-Replayed") == "true" and replayed.json == moved
    assert event_types(client, agency, reference)[-2:] == ["visit.change_proposed", "visit.change_accepted"]


def test_declining_cancels_the_visit_with_a_full_refund_of_its_share(
    bookings, client, open_slot, new_quote, agency, clinic_admin
):
    booking = booked(client, agency, new_quote(), series(open_slot, 96))
    reference, slots = booking["reference"], [v["slotId"] for v in booking["visits"]]
    close(client, slots[2], clinic_admin)
    assert decline(client, reference, 2, agency).json["code"] == "INVALID_TRANSITION"  # visit 2 was not changed
    assert decline(client, reference, 3, clinic_admin).status_code == 403
    declined = decline(client, reference, 3, agency)
    assert declined.status_code == 200, declined.json
    after = declined.json
    assert [v["status"] for v in after["visits"]] == ["BOOKED", "BOOKED", "CANCELLED"]
    assert after["status"] == "PENDING" and after["refund"] is None
    total = booking["price"]["total"]["krw"]
    share = int((Decimal(total) / 3).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    refund = after["visits"][2]["refund"]
    assert (refund["krw"], refund["percent"], refund["visitsRefunded"], refund["visits"]) == (share, 100, 1, 3)
    assert after["history"][-1]["visitChange"] == {
        "from": "CHANGE_PROPOSED",
        "to": "CANCELLED",
        "reason": "SLOT_CLOSED",
    }
    assert seat_count(bookings, slots[2]) == 0
    seats_are_owned(bookings)
    assert event_types(client, agency, reference)[-1] == "visit.change_declined"
    # Cancelling the rest refunds the two visits left by the policy, never the declined one again.
    cancelled = client.post(f"/bookings/{reference}/cancel", json={}, headers=agency).json
    assert (cancelled["refund"]["visitsRefunded"], cancelled["refund"]["percent"]) == (2, 100)
    assert cancelled["refund"]["krw"] == int((Decimal(total) * 2 / 3).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    seats_are_owned(bookings)


def test_cancelling_while_a_change_is_proposed_refunds_that_visit_in_full_and_the_rest_by_the_policy(
    bookings, client, open_slot, new_quote, agency, clinic_admin
):
    booking = booked(client, agency, new_quote(), series(open_slot, 20))  # the next visit in 20 days: the 50% tier
    reference = booking["reference"]
    close(client, booking["visits"][2]["slotId"], clinic_admin)
    assert [v["status"] for v in read(client, reference, agency)["visits"]] == ["BOOKED", "BOOKED", "CHANGE_PROPOSED"]
    cancelled = client.post(f"/bookings/{reference}/cancel", json={}, headers=agency)
    assert cancelled.status_code == 200, cancelled.json
    refund, total = cancelled.json["refund"], Decimal(booking["price"]["total"]["krw"])
    half_of_two = (total * 2 / 3 * Decimal("0.5")).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    withdrawn = (total / 3).quantize(Decimal(1), rounding=ROUND_HALF_UP)  # the clinic withdrew it: in full
    assert (refund["percent"], refund["visitsRefunded"]) == (50, 3)
    assert refund["krw"] == int(half_of_two + withdrawn)
    seats_are_owned(bookings)


def test_a_booking_whose_every_visit_is_declined_is_cancelled_with_everything_refunded(
    bookings, client, open_slot, new_quote, agency, clinic_admin
):
    booking = booked(client, agency, new_quote(), series(open_slot, 97))
    reference = booking["reference"]
    for visit in booking["visits"]:
        close(client, visit["slotId"], clinic_admin)
    for number in (1, 2, 3):
        assert decline(client, reference, number, agency).status_code == 200
    after = read(client, reference, agency)
    assert after["status"] == "CANCELLED" and [v["status"] for v in after["visits"]] == ["CANCELLED"] * 3
    assert after["refund"]["krw"] == sum(v["refund"]["krw"] for v in after["visits"])
    assert abs(after["refund"]["krw"] - booking["price"]["total"]["krw"]) <= 1  # three rounded shares
    assert [seat_count(bookings, v["slotId"]) for v in after["visits"]] == [0, 0, 0]
    seats_are_owned(bookings)


def test_closing_a_day_proposes_a_change_for_every_visit_booked_that_day(
    bookings, client, open_slot, new_quote, agency, clinic_admin, bearer
):
    slots = series(open_slot, 98)
    first, second = booked(client, agency, new_quote(), slots), booked(client, agency, new_quote(), slots)
    afternoon = open_slot(in_days(98, "15:00"))  # closed with the day: never an alternative
    next_day = open_slot(in_days(99, "10:00"))
    other_clinic = bearer("CLINIC_ADMIN", clinic="banobagi-dermatology")
    forbidden = client.post(f"/clinics/{ORACLE}/close-day", json={"date": seoul_day(98)}, headers=other_clinic)
    assert forbidden.status_code == 403
    answer = client.post(
        f"/clinics/{ORACLE}/close-day", json={"date": seoul_day(98), "reason": "Power cut"}, headers=clinic_admin
    )
    assert answer.status_code == 200, answer.json
    assert answer.json == {
        "clinic": ORACLE,
        "date": seoul_day(98),
        "slotsClosed": 2,
        "visitsProposed": 2,
        "bookingsAffected": 2,
    }
    for made in (first, second):
        after = read(client, made["reference"], agency)
        assert [v["status"] for v in after["visits"]] == ["CHANGE_PROPOSED", "BOOKED", "BOOKED"]
        assert [a["slotId"] for a in after["visits"][0]["proposedChange"]["alternatives"]] == [next_day["id"]]
        assert after["history"][-1]["reason"] == "Power cut"
    statuses = free_slots(client, clinic_admin, 98, 99)
    assert (statuses[slots[0]["id"]], statuses[afternoon["id"]], statuses[next_day["id"]]) == (
        "CLOSED",
        "CLOSED",
        "FREE",
    )
    assert accept(client, first["reference"], 1, next_day["id"], agency).status_code == 200
    seats_are_owned(bookings)


def test_an_interpreters_hours_closed_over_a_visit_propose_a_change_when_no_one_else_is_free(
    bookings, client, open_slot, new_quote, agency, bearer
):
    slots = series(open_slot, 215)
    booking = booked(client, agency, new_quote(interpreterLanguage="ja"), slots)
    reference = booking["reference"]
    assert booking["visits"][1]["interpreter"]["id"] == AIKO
    target = open_slot(in_days(215 + 31, "14:00"))  # inside visit 2's window, on another weekday
    platform = bearer("PLATFORM_ADMIN")
    aiko = client.get("/interpreters", query_string={"provider": "seoul-medical-interpreters"}, headers=platform).json
    hours = next(i for i in aiko["items"] if i["id"] == AIKO)["hours"]
    weekday = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")[in_days(215 + 30).weekday()]
    left = [h for h in hours if h["weekday"] != weekday]  # she stops working on visit 2's weekday
    changed = client.patch(f"/interpreters/{AIKO}", json={"hours": left}, headers=platform)
    assert changed.status_code == 200, changed.json
    after = read(client, reference, agency)
    visit = after["visits"][1]
    assert [v["status"] for v in after["visits"]][:2] == ["BOOKED", "CHANGE_PROPOSED"]
    assert visit["proposedChange"]["reason"] == "INTERPRETER_HOURS_CLOSED"
    offered = {a["slotId"]: a["interpreter"] for a in visit["proposedChange"]["alternatives"]}
    assert offered[target["id"]]["id"] == AIKO  # she still works that day
    seats_are_owned(bookings)
    accepted = accept(client, reference, 2, target["id"], agency)
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["visits"][1]["interpreter"]["id"] == AIKO
    assert accepted.json["visits"][1]["slotId"] == target["id"]
    seats_are_owned(bookings)
    client.patch(f"/interpreters/{AIKO}", json={"hours": hours}, headers=platform)


def test_an_interpreters_hours_closed_over_a_visit_hand_it_to_another_interpreter_free_then(
    bookings, client, open_slot, new_quote, agency, clinic_admin
):
    slots = series(open_slot, 217)
    booking = booked(client, agency, new_quote(interpreterLanguage="en"), slots)
    reference = booking["reference"]
    first = booking["visits"][0]["interpreter"]
    mine = client.get("/interpreters", headers=clinic_admin).json["items"]
    person = next(i for i in mine if i["id"] == first["id"])
    changed = client.patch(f"/interpreters/{person['id']}", json={"active": False}, headers=clinic_admin)
    assert changed.status_code == 200, changed.json
    after = read(client, reference, agency)
    assert [v["status"] for v in after["visits"]] == ["BOOKED"] * 3  # nothing for the agency to decide
    assert {v["interpreter"]["id"] for v in after["visits"]} != {first["id"]}
    assert all(v["interpreter"]["id"] != first["id"] for v in after["visits"])
    assert "visit.interpreter_changed" in event_types(client, agency, reference)
    seats_are_owned(bookings)
    client.patch(f"/interpreters/{person['id']}", json={"active": True}, headers=clinic_admin)


def test_only_a_visit_with_a_proposed_change_accepts_one(client, open_slot, new_quote, agency):
    booking = booked(client, agency, new_quote(), series(open_slot, 100))
    elsewhere = open_slot(in_days(131, "11:00"))
    answer = accept(client, booking["reference"], 2, elsewhere["id"], agency)
    assert answer.status_code == 409 and answer.json["code"] == "INVALID_TRANSITION"
    assert answer.json["errors"] == [{"field": "visit", "message": "visit 2 is BOOKED"}]
    unknown = accept(client, booking["reference"], 7, elsewhere["id"], agency)
    assert unknown.status_code == 422 and unknown.json["code"] == "UNKNOWN_VISIT"


# -- nothing ends BOOKED on what the clinic withdrew: holds and bookings written after the change --------------


def hold_of(client, agency, quote: dict, slots: list[dict]) -> dict:
    held = client.post(
        "/holds",
        json={"quoteId": quote["id"], "slotIds": [s["id"] for s in slots]},
        headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert held.status_code == 201, held.json
    return held.json


def test_a_hold_booked_after_its_slot_closed_gets_a_proposed_change(
    bookings, client, open_slot, new_quote, agency, clinic_admin
):
    slots = series(open_slot, 104)
    fitting = open_slot(in_days(104 + 31, "14:00"))
    quote = new_quote()
    held = hold_of(client, agency, quote, slots)
    assert close(client, slots[1]["id"], clinic_admin).headers["X-Visits-Proposed"] == "0"  # a hold, no booking yet
    made = client.post(
        "/bookings",
        json={"holdId": held["id"], "patient": PATIENT},
        headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert made.status_code == 201, made.json
    visit = made.json["visits"][1]
    assert (visit["status"], visit["slotId"]) == ("CHANGE_PROPOSED", slots[1]["id"])
    assert (visit["proposedChange"]["reason"], visit["proposedChange"]["withdrawnSlotId"]) == (
        "SLOT_CLOSED",
        slots[1]["id"],
    )
    assert [a["slotId"] for a in visit["proposedChange"]["alternatives"]] == [fitting["id"]]
    assert read(client, made.json["reference"], agency) == made.json
    assert event_types(client, agency, made.json["reference"]) == ["booking.created", "visit.change_proposed"]
    seats_are_owned(bookings)
    assert accept(client, made.json["reference"], 2, fitting["id"], agency).status_code == 200
    seats_are_owned(bookings)


def test_a_booking_committed_but_not_yet_written_when_its_slot_closed_gets_a_proposed_change(
    bookings, client, open_slot, new_quote, agency, clinic_admin, monkeypatch
):
    slots = series(open_slot, 105)
    fitting = open_slot(in_days(105 + 31, "14:00"))
    bodies = [body_for(new_quote(), slots), body_for(new_quote(), slots)]
    keys = [uuid.uuid4().hex, uuid.uuid4().hex]
    monkeypatch.setitem(failpoints.ACTIVE, "bookings.after_commit", "raise")  # committed, never written
    for body, key in zip(bodies, keys, strict=True):
        assert post(client, agency, body, key).status_code == 500
    monkeypatch.delitem(failpoints.ACTIVE, "bookings.after_commit")
    assert close(client, slots[1]["id"], clinic_admin).headers["X-Visits-Proposed"] == "0"
    retried = post(client, agency, bodies[0], keys[0])  # the retry writes it
    assert retried.status_code == 201, retried.json
    assert [v["status"] for v in retried.json["visits"]] == ["BOOKED", "CHANGE_PROPOSED", "BOOKED"]
    assert [a["slotId"] for a in retried.json["visits"][1]["proposedChange"]["alternatives"]] == [fitting["id"]]
    swept = sweep_at(bookings, utcnow() + timedelta(hours=1))  # the sweeper writes the other
    assert swept["recorded"] == 1
    with bookings.app_context():
        [reference] = [b["reference"] for b in store.bookings().find({"reference": {"$ne": retried.json["reference"]}})]
    assert [v["status"] for v in read(client, reference, agency)["visits"]] == ["BOOKED", "CHANGE_PROPOSED", "BOOKED"]
    assert event_types(client, agency, reference) == ["booking.created", "visit.change_proposed"]
    seats_are_owned(bookings)


def test_the_sweeper_proposes_for_visits_left_booked_on_a_closed_slot(
    bookings, client, open_slot, new_quote, agency, clinic_admin, monkeypatch
):
    slots = series(open_slot, 106)
    fitting = open_slot(in_days(106 + 31, "14:00"))
    reference = booked(client, agency, new_quote(), slots)["reference"]
    monkeypatch.setitem(failpoints.ACTIVE, "bookings.after_close_slot", "raise")  # closed, then the request died
    assert client.post(f"/slots/{slots[1]['id']}/close", headers=clinic_admin).status_code == 500
    monkeypatch.delitem(failpoints.ACTIVE, "bookings.after_close_slot")
    assert [v["status"] for v in read(client, reference, agency)["visits"]] == ["BOOKED"] * 3
    assert sweep_at(bookings, utcnow())["proposed"] == 1
    after = read(client, reference, agency)
    assert [v["status"] for v in after["visits"]] == ["BOOKED", "CHANGE_PROPOSED", "BOOKED"]
    assert [a["slotId"] for a in after["visits"][1]["proposedChange"]["alternatives"]] == [fitting["id"]]
    assert event_types(client, agency, reference)[-1] == "visit.change_proposed"
    assert sweep_at(bookings, utcnow())["proposed"] == 0  # once: the slot waits for nothing more
    with bookings.app_context():
        assert store.slots_proposing(10) == []
    seats_are_owned(bookings)


# -- follow-ups: moved with the clinic's change, or proposed ------------------------------------------------


def move_follow_up(client, headers, reference: str, number: int, body: dict):
    return client.post(
        f"/bookings/{reference}/follow-ups/{number}/reschedule",
        json=body,
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )


def test_an_in_person_follow_up_on_a_closed_slot_moves_to_the_next_free_seat_or_is_proposed(
    bookings, client, open_slot, new_quote, agency, packages_url, bearer
):
    asan_admin = bearer("CLINIC_ADMIN", clinic=ASAN)
    package = asan_package(packages_url)
    last = seoul_today() + timedelta(days=107)
    slots = asan_series(open_slot, package, last)
    first = open_slot(seoul((last + timedelta(days=15)).isoformat(), "11:00"), clinic=ASAN)
    second = open_slot(seoul((last + timedelta(days=25)).isoformat(), "11:00"), clinic=ASAN)
    made = book_series(client, agency, new_quote(package=ASAN_PACKAGE, followUpPlan="VISIT_1"), slots).json
    reference = made["reference"]
    assert made["followUps"][0]["slotId"] == first["id"]

    closed = close(client, first["id"], asan_admin)
    assert closed.headers["X-Visits-Proposed"] == "0"  # nothing for the agency to decide
    after = read(client, reference, agency)
    follow = after["followUps"][0]
    assert (follow["status"], follow["slotId"], follow["start"]) == ("BOOKED", second["id"], second["start"])
    assert after["history"][-1]["followUp"]["movedTo"] == second["start"]
    assert [seat_count(bookings, s["id"]) for s in (first, second)] == [0, 1]
    assert event_types(client, agency, reference)[-1] == "follow_up.rescheduled"
    seats_are_owned(bookings)

    close(client, second["id"], asan_admin)  # no other seat in its window: the agency decides
    after = read(client, reference, agency)
    assert (after["followUps"][0]["status"], after["followUps"][0]["slotId"]) == ("CHANGE_PROPOSED", second["id"])
    assert after["history"][-1]["followUp"]["to"] == "CHANGE_PROPOSED"
    assert event_types(client, agency, reference)[-1] == "follow_up.change_proposed"
    assert seat_count(bookings, second["id"]) == 1  # kept until the agency moves it
    seats_are_owned(bookings)

    third = open_slot(seoul((last + timedelta(days=20)).isoformat(), "11:00"), clinic=ASAN)
    moved = move_follow_up(client, agency, reference, 1, {"slotId": third["id"]})
    assert moved.status_code == 200, moved.json
    assert (moved.json["followUps"][0]["status"], moved.json["followUps"][0]["slotId"]) == ("BOOKED", third["id"])
    assert [seat_count(bookings, s["id"]) for s in (second, third)] == [0, 1]
    seats_are_owned(bookings)


def test_a_follow_ups_interpreter_whose_hours_closed_is_replaced_or_the_follow_up_proposed(
    bookings, client, open_slot, new_quote, agency, bearer
):
    platform = bearer("PLATFORM_ADMIN")
    last = seoul_today() + timedelta(days=220)
    slots = [open_slot(seoul((last - timedelta(days=days)).isoformat(), "10:00")) for days in (65, 35, 0)]
    made = book_series(client, agency, new_quote(followUpPlan="VIDEO_3", interpreterLanguage="ja"), slots).json
    reference, follow = made["reference"], made["followUps"][1]
    assert follow["interpreter"]["id"] == AIKO
    people = client.get("/interpreters", query_string={"provider": "seoul-medical-interpreters"}, headers=platform)
    hours = next(i for i in people.json["items"] if i["id"] == AIKO)["hours"]
    weekday = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")[date.fromisoformat(follow["start"][:10]).weekday()]
    assert all(
        date.fromisoformat(v["start"][:10]).weekday() != date.fromisoformat(follow["start"][:10]).weekday()
        for v in made["visits"]
    )
    changed = client.patch(
        f"/interpreters/{AIKO}", json={"hours": [h for h in hours if h["weekday"] != weekday]}, headers=platform
    )
    assert changed.status_code == 200, changed.json
    after = read(client, reference, agency)
    assert [f["status"] for f in after["followUps"]] == ["BOOKED", "CHANGE_PROPOSED", "BOOKED"]  # no one else speaks ja
    assert [v["status"] for v in after["visits"]] == ["BOOKED"] * 3
    assert event_types(client, agency, reference)[-1] == "follow_up.change_proposed"
    seats_are_owned(bookings)
    later = seoul((date.fromisoformat(follow["start"][:10]) + timedelta(days=1)).isoformat(), "09:00")
    moved = move_follow_up(client, agency, reference, 2, {"start": later.isoformat()})
    assert moved.status_code == 200, moved.json
    assert (moved.json["followUps"][1]["status"], moved.json["followUps"][1]["interpreter"]["id"]) == ("BOOKED", AIKO)
    seats_are_owned(bookings)
    client.patch(f"/interpreters/{AIKO}", json={"hours": hours}, headers=platform)

    english = book_series(client, agency, new_quote(followUpPlan="VIDEO_3", interpreterLanguage="en"), slots).json
    person = english["followUps"][0]["interpreter"]["id"]
    assert client.patch(f"/interpreters/{person}", json={"active": False}, headers=platform).status_code == 200
    after = read(client, english["reference"], agency)
    assert [f["status"] for f in after["followUps"]] == ["BOOKED"] * 3
    assert all(f["interpreter"]["id"] != person for f in after["followUps"])
    assert all(v["interpreter"]["id"] != person for v in after["visits"])
    assert "follow_up.interpreter_changed" in event_types(client, agency, english["reference"])
    seats_are_owned(bookings)
    client.patch(f"/interpreters/{person}", json={"active": True}, headers=platform)


def test_accepting_an_alternative_gone_since_offers_new_alternatives(
    bookings, client, open_slot, new_quote, agency, clinic_admin
):
    slots = series(open_slot, 108)
    reference = booked(client, agency, new_quote(), slots)["reference"]
    only = open_slot(in_days(108 + 31, "14:00"), capacity=1)
    close(client, slots[1]["id"], clinic_admin)
    assert [a["slotId"] for a in read(client, reference, agency)["visits"][1]["proposedChange"]["alternatives"]] == [
        only["id"]
    ]
    booked(client, agency, new_quote(), [slots[0], only, slots[2]])  # another booking takes its one seat
    later = open_slot(in_days(108 + 32, "14:00"))
    full = accept(client, reference, 2, only["id"], agency)
    assert full.status_code == 409 and full.json["code"] == "SLOT_FULL"
    assert "new alternatives are offered" in full.json["detail"]
    after = read(client, reference, agency)
    change = after["visits"][1]["proposedChange"]
    assert (after["visits"][1]["status"], change["reason"]) == ("CHANGE_PROPOSED", "SLOT_CLOSED")
    assert [a["slotId"] for a in change["alternatives"]] == [later["id"]]
    assert event_types(client, agency, reference)[-1] == "visit.change_proposed"
    elsewhere = open_slot(in_days(108 + 50, "14:00"))  # outside the window: never offered, and the list is fresh
    refused = accept(client, reference, 2, elsewhere["id"], agency)
    assert refused.json["code"] == "ALTERNATIVE_NOT_OFFERED" and "new alternatives" not in refused.json["detail"]
    assert read(client, reference, agency) == after
    assert accept(client, reference, 2, later["id"], agency).status_code == 200
    seats_are_owned(bookings)


def test_a_hold_booked_after_its_interpreters_hours_closed_gets_a_proposed_change(
    bookings, client, open_slot, new_quote, agency, bearer
):
    platform = bearer("PLATFORM_ADMIN")
    slots = series(open_slot, 222)
    held = hold_of(client, agency, new_quote(interpreterLanguage="ja"), slots)
    assert held["visits"][1]["interpreter"]["id"] == AIKO
    people = client.get("/interpreters", query_string={"provider": "seoul-medical-interpreters"}, headers=platform)
    hours = next(i for i in people.json["items"] if i["id"] == AIKO)["hours"]
    weekday = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")[in_days(222 + 30).weekday()]
    left = [h for h in hours if h["weekday"] != weekday]
    assert client.patch(f"/interpreters/{AIKO}", json={"hours": left}, headers=platform).status_code == 200
    made = client.post(
        "/bookings",
        json={"holdId": held["id"], "patient": PATIENT},
        headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert made.status_code == 201, made.json
    assert made.json["visits"][1]["status"] == "CHANGE_PROPOSED"
    assert made.json["visits"][1]["proposedChange"]["reason"] == "INTERPRETER_HOURS_CLOSED"
    seats_are_owned(bookings)
    client.patch(f"/interpreters/{AIKO}", json={"hours": hours}, headers=platform)
