"""Follow-ups are appointments: reserved with the visits, all or nothing, in Seoul and home time."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from icalendar import Calendar

from services.bookings import events, store, sweeper
from services.bookings.followups import consultation_unit
from services.common.clock import seoul_today
from services.common.validation import validator
from tests.support import (
    ICEPICK,
    ORACLE,
    PATIENT,
    RECORDER,
    in_days,
    next_clock_change_at_home,
    seat_count,
    seats_are_owned,
    seed_package,
    seoul,
)

NEW_YORK = ZoneInfo("America/New_York")
WEEK = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
ASAN = "asan-medical-center"
ASAN_PACKAGE = seed_package("asan-subcision-filler")  # an in-person follow-up (VISIT_1) among its plans


def book_series(client, agency, quote: dict, slots: list[dict], patient: dict | None = None, travel=None):
    body = {
        "quoteId": quote["id"],
        "slotId": slots[0]["id"],
        "laterSlotIds": [s["id"] for s in slots[1:]],
        "patient": patient or PATIENT,
    }
    if travel:
        body["travel"] = travel
    return client.post("/bookings", json=body, headers={**agency, "Idempotency-Key": uuid.uuid4().hex})


def units_taken(app, unit_ids: list[str]) -> dict[str, int]:
    with app.app_context():
        found = store.units_by_id(unit_ids)
    return {unit: found.get(unit, {"count": 0})["count"] for unit in unit_ids}


def series_days(last: date, visits: int = 3, interval: int = 28) -> list[date]:
    return [last - timedelta(days=interval * n) for n in reversed(range(visits))]


def test_a_remote_follow_up_for_a_new_york_patient_is_at_the_right_local_time_across_a_dst_change(
    bookings, client, agency, open_slot, new_quote
):
    # The last visit 29 days before New York's next clock change (March or November, whichever comes
    # first from the day the suite runs): follow-up 1 falls 15 days before the change, follow-up 2
    # 15 days after it, follow-up 3 a month later.
    change = next_clock_change_at_home(NEW_YORK, seoul_today() + timedelta(days=100))
    last = change - timedelta(days=29)
    slots = [open_slot(seoul(day.isoformat(), "10:00")) for day in series_days(last)]
    patient = {**PATIENT, "homeTimeZone": "America/New_York"}
    made = book_series(client, agency, new_quote(followUpPlan="VIDEO_3"), slots, patient)
    assert made.status_code == 201, made.json
    assert not list(validator("bookings/booking").iter_errors(made.json))
    follow_ups = made.json["followUps"]
    days = [last + timedelta(days=14 + 30 * n) for n in range(3)]
    # The clinic's first call of each day inside each window (its consultation hours start at 09:00).
    assert [(f["number"], f["kind"], f["status"]) for f in follow_ups] == [
        (n, "REMOTE_VIDEO", "BOOKED") for n in (1, 2, 3)
    ]
    starts = [seoul(day.isoformat(), "09:00") for day in days]
    assert [f["start"] for f in follow_ups] == [start.isoformat() for start in starts]
    home = [datetime.fromisoformat(f["startHome"]) for f in follow_ups]
    assert home == starts  # the same moments...
    assert [h.utcoffset() for h in home] == [NEW_YORK.utcoffset(h.replace(tzinfo=None)) for h in home]
    assert home[0].utcoffset() != home[1].utcoffset() == home[2].utcoffset()  # ...in New York's time of each day
    assert home[0].hour != home[1].hour  # so the patient's clock shows another hour after the change
    assert all(f["slotId"] is None and f["durationMinutes"] == 30 for f in follow_ups)

    plan = client.get(f"/bookings/{made.json['reference']}/care-plan", headers=agency).json
    shown = [e for e in plan["events"] if e["kind"] == "FOLLOW_UP"]
    assert [e["start"]["seoul"] for e in shown] == [start.isoformat() for start in starts]
    assert [datetime.fromisoformat(e["start"]["home"]).utcoffset() for e in shown] == [h.utcoffset() for h in home]
    assert shown[0]["title"] == "Follow-up 1 of 3 (remote video)" and shown[0]["code"] == "REMOTE_VIDEO"
    ics = client.get(f"/bookings/{made.json['reference']}/care-plan.ics", headers=agency)
    calendar = [e for e in Calendar.from_ical(ics.data).walk("VEVENT") if str(e["summary"]).startswith("Follow-up")]
    assert [e.decoded("dtstart") for e in calendar] == [start.astimezone(UTC) for start in starts]
    assert [e.decoded("dtend") - e.decoded("dtstart") for e in calendar] == [timedelta(minutes=30)] * 3
    # Each call is the clinic's, taken once: the same calls cannot be booked twice.
    assert set(units_taken(bookings, [consultation_unit("oracle-skin-clinic", s) for s in starts]).values()) == {1}
    seats_are_owned(bookings)


def test_two_remote_follow_ups_never_take_one_call_and_each_has_an_interpreter(
    bookings, client, agency, open_slot, new_quote
):
    last = seoul_today() + timedelta(days=70)
    slots = [open_slot(seoul(day.isoformat(), "10:00")) for day in series_days(last)]
    first = book_series(client, agency, new_quote(followUpPlan="VIDEO_3", interpreterLanguage="en"), slots)
    second = book_series(client, agency, new_quote(followUpPlan="VIDEO_3", interpreterLanguage="en"), slots)
    assert first.status_code == second.status_code == 201, (first.json, second.json)
    one, other = first.json["followUps"][0], second.json["followUps"][0]
    day = (last + timedelta(days=14)).isoformat()
    assert (one["start"], other["start"]) == (seoul(day, "09:00").isoformat(), seoul(day, "09:30").isoformat())
    assert one["interpreter"]["language"] == other["interpreter"]["language"] == "en"
    # The first call's interpreter is busy until 10:00 (the call and its buffer): the second has another.
    assert one["interpreter"]["id"] != other["interpreter"]["id"]
    seats_are_owned(bookings)


def test_a_booking_reads_its_interpreters_calendar_and_the_clinics_hours_once(
    bookings, client, agency, open_slot, new_quote
):
    """The plan of the later visits, each visit's interpreter and the follow-ups' calls with theirs are
    chosen from one reading of who interprets and of the clinic's consultation hours, and the half hours
    and calls of all of them are read in three queries, whatever the number of visits and follow-ups."""
    last = seoul_today() + timedelta(days=90)
    slots = [open_slot(seoul(day.isoformat(), "10:00")) for day in series_days(last)]
    quote = new_quote(followUpPlan="VIDEO_3", interpreterLanguage="ja")
    body = {"quoteId": quote["id"], "slotId": slots[0]["id"], "patient": PATIENT}
    with RECORDER.recording() as commands:
        made = client.post("/bookings", json=body, headers={**agency, "Idempotency-Key": uuid.uuid4().hex})
    assert made.status_code == 201, made.json
    assert [visit["slotId"] for visit in made.json["visits"]] == [slot["id"] for slot in slots]
    assert {visit["interpreter"]["name"] for visit in made.json["visits"]} == {"Aiko Tanaka"}
    assert [follow["interpreter"]["name"] for follow in made.json["followUps"]] == ["Aiko Tanaka"] * 3
    finds = Counter(
        (command["find"], next(iter(command.get("filter") or {}), None))
        for name, _db, command in commands
        if name == "find"
    )
    read_once = [("interpreters", "serves"), ("interpreter_providers", "_id"), ("consultation_hours", "_id")]
    assert [finds[read] for read in read_once] == [1, 1, 1], finds
    # Half hours and calls: the visits' interpreters (one read for the whole plan), the three follow-ups'
    # calls (one), their interpreters at each one's first free call (one).
    assert finds[("units", "_id")] == 3, finds
    seats_are_owned(bookings)


def test_a_next_free_plan_in_japanese_with_a_video_follow_up_reads_half_hours_and_calls_at_once(client, open_slot):
    """The next free start of a series in Japanese with its video follow-ups: every visit's half hours and
    the follow-up's calls are read in one query, the earliest of each being free."""
    first = open_slot(in_days(5, "10:00"))
    open_slot(in_days(36, "10:00")), open_slot(in_days(71, "10:00"))
    asked = {"packages": [{"packageId": ICEPICK, "clinic": ORACLE, "language": "ja", "followUp": "REMOTE_VIDEO"}]}
    with RECORDER.recording() as commands:
        answer = client.post("/availability/next", json=asked)
    assert answer.status_code == 200, answer.json
    assert answer.json["items"][0]["id"] == first["id"]
    assert len([command for name, _db, command in commands if name == "find" and command["find"] == "units"]) == 1


def test_cancelling_gives_back_the_follow_ups_calls(bookings, client, agency, open_slot, new_quote):
    last = seoul_today() + timedelta(days=71)
    slots = [open_slot(seoul(day.isoformat(), "10:00")) for day in series_days(last)]
    made = book_series(client, agency, new_quote(followUpPlan="VIDEO_3"), slots).json
    calls = [consultation_unit("oracle-skin-clinic", datetime.fromisoformat(f["start"])) for f in made["followUps"]]
    assert set(units_taken(bookings, calls).values()) == {1}
    cancelled = client.post(f"/bookings/{made['reference']}/cancel", json={}, headers=agency)
    assert cancelled.status_code == 200, cancelled.json
    assert [f["status"] for f in cancelled.json["followUps"]] == ["CANCELLED"] * 3
    assert set(units_taken(bookings, calls).values()) == {0}
    plan = client.get(f"/bookings/{made['reference']}/care-plan", headers=agency).json
    assert [e for e in plan["events"] if e["kind"] == "FOLLOW_UP"] == []
    seats_are_owned(bookings)


def test_an_expired_hold_gives_its_follow_ups_back(bookings_with, open_slot, new_quote, agency):
    app = bookings_with(checkout_hold_minutes=0)
    client = app.test_client()
    last = seoul_today() + timedelta(days=100)
    slots = [open_slot(seoul(day.isoformat(), "10:00")) for day in series_days(last, 4)]  # four visits
    quote = new_quote(seed_package("oracle-rf-prp"), followUpPlan="VIDEO_2")
    held = client.post(
        "/holds",
        json={"quoteId": quote["id"], "slotIds": [s["id"] for s in slots]},
        headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert held.status_code == 201, held.json
    assert not list(validator("bookings/hold").iter_errors(held.json))
    calls = [
        consultation_unit("oracle-skin-clinic", datetime.fromisoformat(f["start"])) for f in held.json["followUps"]
    ]
    assert len(calls) == 2 and set(units_taken(app, calls).values()) == {1}
    with app.app_context():
        assert sweeper.sweep()["reclaimed"] == 1
        events.relay()
    assert set(units_taken(app, calls).values()) == {0}
    assert [seat_count(app, s["id"]) for s in slots] == [0] * 4
    feed = client.get("/events?types=hold.expired", headers=agency).json["items"]
    assert feed[0]["data"]["slotIds"] == [s["id"] for s in slots]  # the visits' slots, not the calls


def _asan_package(packages_url) -> dict:
    return requests.get(f"{packages_url}/packages/{ASAN_PACKAGE}", timeout=10).json()


def _asan_series(open_slot, package: dict, last: date) -> list[dict]:
    interval = package["sessionIntervalDays"]
    days = series_days(last, package["schedule"]["visits"], interval)
    return [open_slot(seoul(day.isoformat(), "10:00"), clinic=ASAN) for day in days]


def test_an_in_person_follow_up_takes_a_seat_inside_its_window_and_the_patients_trips(
    bookings, client, agency, open_slot, new_quote, packages_url
):
    package = _asan_package(packages_url)
    last = seoul_today() + timedelta(days=100)
    slots = _asan_series(open_slot, package, last)
    early = open_slot(seoul((last + timedelta(days=10)).isoformat(), "11:00"), clinic=ASAN)  # before its window
    inside = open_slot(seoul((last + timedelta(days=16)).isoformat(), "11:00"), clinic=ASAN)
    later = open_slot(seoul((last + timedelta(days=20)).isoformat(), "11:00"), clinic=ASAN)
    quote = new_quote(package=ASAN_PACKAGE, followUpPlan="VISIT_1")
    # The patient's trips: the visits' trips, and one home again that reaches only the later slot.
    trips = [
        {"arrive": (day - timedelta(days=2)).isoformat(), "depart": (day + timedelta(days=10)).isoformat()}
        for day in (date.fromisoformat(s["start"][:10]) for s in slots)
    ] + [{"arrive": (last + timedelta(days=18)).isoformat(), "depart": (last + timedelta(days=22)).isoformat()}]
    made = book_series(client, agency, quote, slots, travel=trips)
    assert made.status_code == 201, made.json
    [follow] = made.json["followUps"]
    assert (follow["kind"], follow["slotId"], follow["start"]) == ("IN_PERSON", later["id"], later["start"])
    assert [seat_count(bookings, s["id"]) for s in (early, inside, later)] == [0, 0, 1]
    plan = client.get(f"/bookings/{made.json['reference']}/care-plan", headers=agency).json
    assert plan["tripsNeeded"] == len(slots) + 1  # a trip per visit (42 days apart), and one for the follow-up
    assert plan["trips"][-1] == {
        "arriveBy": (last + timedelta(days=19)).isoformat(),
        "departFrom": (last + timedelta(days=21)).isoformat(),
        "visits": [],
        "followUps": [1],
    }
    [shown] = [e for e in plan["events"] if e["kind"] == "FOLLOW_UP"]
    assert (shown["code"], shown["start"]["seoul"]) == ("IN_PERSON", later["start"])
    # Without trips, the earliest free seat inside the window.
    quote = new_quote(package=ASAN_PACKAGE, followUpPlan="VISIT_1")
    other = book_series(client, agency, quote, slots).json
    assert other["followUps"][0]["slotId"] == inside["id"]
    seats_are_owned(bookings)


def test_no_free_follow_up_refuses_the_booking_and_takes_nothing(
    bookings, client, agency, open_slot, new_quote, packages_url
):
    package = _asan_package(packages_url)
    last = seoul_today() + timedelta(days=101)
    slots = _asan_series(open_slot, package, last)
    open_slot(seoul((last + timedelta(days=40)).isoformat(), "11:00"), clinic=ASAN)  # past its window
    refused = book_series(client, agency, new_quote(package=ASAN_PACKAGE, followUpPlan="VISIT_1"), slots)
    assert refused.status_code == 409 and refused.json["code"] == "FOLLOW_UP_UNAVAILABLE", refused.json
    window = f"{last + timedelta(days=14)} and {last + timedelta(days=28)}"
    assert window in refused.json["detail"]
    assert [seat_count(bookings, s["id"]) for s in slots] == [0] * len(slots)
    seats_are_owned(bookings)


def test_a_messaging_plan_has_a_dated_window(bookings, client, agency, open_slot, new_quote):
    last = seoul_today() + timedelta(days=73)
    slots = [open_slot(seoul(day.isoformat(), "10:00")) for day in series_days(last)]
    made = book_series(client, agency, new_quote(followUpPlan="CHAT_6"), slots)
    assert made.status_code == 201, made.json
    assert made.json["followUps"] == []
    window = {"from": (last + timedelta(days=1)).isoformat(), "to": (last + timedelta(days=178)).isoformat()}
    assert made.json["messagingWindow"] == {**window, "count": 6}
    plan = client.get(f"/bookings/{made.json['reference']}/care-plan", headers=agency).json
    [shown] = [e for e in plan["events"] if e["kind"] == "FOLLOW_UP"]
    assert shown["code"] == "MESSAGING"
    assert (shown["start"]["seoul"][:10], shown["end"]["seoul"][:10]) == (window["from"], window["to"])


def test_the_icepick_package_is_unchanged_without_a_follow_up_plan(client, agency, open_slot, new_quote):
    last = seoul_today() + timedelta(days=74)
    slots = [open_slot(seoul(day.isoformat(), "10:00")) for day in series_days(last)]
    made = book_series(client, agency, new_quote(ICEPICK), slots).json
    assert made["followUps"] == [] and made["messagingWindow"] is None


def move_follow_up(client, headers, reference: str, number: int, body: dict, key: str | None = None):
    return client.post(
        f"/bookings/{reference}/follow-ups/{number}/reschedule",
        json=body,
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def test_a_remote_follow_up_moves_to_another_call_inside_its_window(
    bookings, client, agency, bearer, open_slot, new_quote
):
    last = seoul_today() + timedelta(days=75)
    slots = [open_slot(seoul(day.isoformat(), "10:00")) for day in series_days(last)]
    made = book_series(client, agency, new_quote(followUpPlan="VIDEO_3", interpreterLanguage="en"), slots).json
    other = book_series(client, agency, new_quote(followUpPlan="VIDEO_3"), slots).json
    reference, day = made["reference"], (last + timedelta(days=20)).isoformat()
    old = datetime.fromisoformat(made["followUps"][0]["start"])
    target, key = seoul(day, "10:30"), uuid.uuid4().hex
    moved = move_follow_up(client, agency, reference, 1, {"start": target.isoformat(), "reason": "a flight"}, key)
    assert moved.status_code == 200, moved.json
    follow = moved.json["followUps"][0]
    assert (follow["start"], follow["status"], follow["interpreter"]["language"]) == (
        target.isoformat(),
        "BOOKED",
        "en",
    )
    assert moved.json["history"][-1]["followUp"] == {
        "number": 1,
        "from": "BOOKED",
        "to": "BOOKED",
        "movedFrom": old.isoformat(),
        "movedTo": target.isoformat(),
    }
    calls = [consultation_unit("oracle-skin-clinic", moment) for moment in (old, target)]
    assert units_taken(bookings, calls) == {calls[0]: 0, calls[1]: 1}  # the new call taken, the old given back
    again = move_follow_up(client, agency, reference, 1, {"start": target.isoformat(), "reason": "a flight"}, key)
    assert again.json == moved.json  # a retry answers the same
    with bookings.app_context():
        events.relay()
    told = client.get("/events?types=follow_up.rescheduled", headers=agency).json["items"]
    assert [(e["data"]["followUp"], e["data"]["to"]) for e in told] == [(1, target.isoformat())]
    plan = client.get(f"/bookings/{reference}/care-plan", headers=agency).json
    assert [e["start"]["seoul"] for e in plan["events"] if e["kind"] == "FOLLOW_UP"][0] == target.isoformat()

    def refused(number: int, body: dict) -> tuple[int, str, list]:
        answer = move_follow_up(client, agency, reference, number, body)
        return answer.status_code, answer.json["code"], [e["field"] for e in answer.json.get("errors") or []]

    taken = other["followUps"][0]["start"]  # the other booking's call
    assert refused(1, {"start": taken}) == (409, "FOLLOW_UP_UNAVAILABLE", ["start"])
    outside = seoul((last + timedelta(days=40)).isoformat(), "09:00").isoformat()
    assert refused(1, {"start": outside}) == (422, "FOLLOW_UP_OUTSIDE_WINDOW", ["start"])
    assert refused(1, {"start": seoul(day, "10:15").isoformat()}) == (422, "FOLLOW_UP_OUTSIDE_WINDOW", ["start"])
    assert refused(1, {"start": seoul(day, "15:00").isoformat()}) == (422, "FOLLOW_UP_OUTSIDE_WINDOW", ["start"])
    assert refused(1, {"slotId": slots[0]["id"]})[:2] == (400, "VALIDATION_FAILED")
    assert refused(1, {"start": "soon+09:00"}) == (400, "VALIDATION_FAILED", ["start"])
    assert refused(9, {"start": target.isoformat()}) == (422, "UNKNOWN_FOLLOW_UP", ["followUp"])
    stranger = bearer("AGENCY", agency="another-agency")
    assert move_follow_up(client, stranger, reference, 1, {"start": target.isoformat()}).status_code == 404
    assert client.get(f"/bookings/{reference}", headers=agency).json["followUps"] == moved.json["followUps"]
    seats_are_owned(bookings)


def test_an_in_person_follow_up_moves_to_another_slot_inside_its_window(
    bookings, client, agency, open_slot, new_quote, packages_url
):
    package = _asan_package(packages_url)
    last = seoul_today() + timedelta(days=102)
    slots = _asan_series(open_slot, package, last)
    first = open_slot(seoul((last + timedelta(days=15)).isoformat(), "11:00"), clinic=ASAN)
    second = open_slot(seoul((last + timedelta(days=25)).isoformat(), "11:00"), clinic=ASAN)
    outside = open_slot(seoul((last + timedelta(days=35)).isoformat(), "11:00"), clinic=ASAN)
    made = book_series(client, agency, new_quote(package=ASAN_PACKAGE, followUpPlan="VISIT_1"), slots).json
    assert made["followUps"][0]["slotId"] == first["id"]
    moved = move_follow_up(client, agency, made["reference"], 1, {"slotId": second["id"]})
    assert moved.status_code == 200, moved.json
    assert moved.json["followUps"][0]["slotId"] == second["id"]
    assert moved.json["followUps"][0]["start"] == second["start"]
    assert [seat_count(bookings, s["id"]) for s in (first, second, outside)] == [0, 1, 0]
    wrong = move_follow_up(client, agency, made["reference"], 1, {"slotId": outside["id"]})
    assert wrong.status_code == 422 and wrong.json["code"] == "FOLLOW_UP_OUTSIDE_WINDOW", wrong.json
    assert [seat_count(bookings, s["id"]) for s in (first, second, outside)] == [0, 1, 0]
    seats_are_owned(bookings)


def test_the_clinic_marks_follow_ups_held_or_missed(bookings, client, agency, bearer, open_slot, new_quote):
    last = seoul_today() + timedelta(days=76)
    slots = [open_slot(seoul(day.isoformat(), "10:00")) for day in series_days(last)]
    reference = book_series(client, agency, new_quote(followUpPlan="VIDEO_3"), slots).json["reference"]
    clinic = bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic")

    def mark(number: int, action: str, headers=clinic):
        return client.post(f"/bookings/{reference}/follow-ups/{number}/{action}", json={}, headers=headers)

    unconfirmed = mark(1, "held")  # a booking the clinic has not confirmed has no follow-up to mark
    assert unconfirmed.status_code == 409 and unconfirmed.json["code"] == "INVALID_TRANSITION"
    assert client.post(f"/bookings/{reference}/confirm", json={}, headers=clinic).status_code == 200
    assert mark(1, "held", agency).status_code == 403  # the clinic's to say
    held = mark(1, "held")
    assert held.status_code == 200, held.json
    assert [f["status"] for f in held.json["followUps"]] == ["HELD", "BOOKED", "BOOKED"]
    assert held.json["history"][-1]["followUp"] == {
        "number": 1,
        "from": "BOOKED",
        "to": "HELD",
        "movedFrom": None,
        "movedTo": None,
    }
    again = mark(1, "missed")
    assert again.status_code == 409 and again.json["code"] == "INVALID_TRANSITION"
    missed = mark(2, "missed")
    assert [f["status"] for f in missed.json["followUps"]] == ["HELD", "MISSED", "BOOKED"]
    assert mark(4, "held").json["code"] == "UNKNOWN_FOLLOW_UP"
    assert not list(validator("bookings/booking").iter_errors(missed.json))
    with bookings.app_context():
        events.relay()
    told = client.get("/events?types=follow_up.held,follow_up.missed", headers=agency).json["items"]
    assert [(e["type"], e["data"]["followUp"]) for e in told] == [("follow_up.held", 1), ("follow_up.missed", 2)]
    # Cancelling gives back only what is still to come: the held and missed follow-ups keep their calls.
    cancelled = client.post(f"/bookings/{reference}/cancel", json={}, headers=agency).json
    assert [f["status"] for f in cancelled["followUps"]] == ["HELD", "MISSED", "CANCELLED"]
    calls = [
        consultation_unit("oracle-skin-clinic", datetime.fromisoformat(f["start"])) for f in cancelled["followUps"]
    ]
    assert list(units_taken(bookings, calls).values()) == [1, 1, 0]
    seats_are_owned(bookings)


def test_a_call_taken_meanwhile_gives_the_follow_up_the_next_free_one(
    bookings, client, agency, open_slot, new_quote, monkeypatch
):
    last = seoul_today() + timedelta(days=77)
    slots = [open_slot(seoul(day.isoformat(), "10:00")) for day in series_days(last)]
    first = book_series(client, agency, new_quote(followUpPlan="VIDEO_3"), slots).json
    real, reads = store.units_by_id, []

    def stale_once(unit_ids):  # the second booking reads the calls before the first booking's took them
        reads.append(unit_ids)
        return {} if len(reads) == 1 else real(unit_ids)

    monkeypatch.setattr(store, "units_by_id", stale_once)
    second = book_series(client, agency, new_quote(followUpPlan="VIDEO_3"), slots)
    monkeypatch.setattr(store, "units_by_id", real)
    assert second.status_code == 201, second.json
    day = (last + timedelta(days=14)).isoformat()
    assert first["followUps"][0]["start"] == seoul(day, "09:00").isoformat()
    assert second.json["followUps"][0]["start"] == seoul(day, "09:30").isoformat()
    seats_are_owned(bookings)


def test_concurrent_bookings_across_processes_never_share_a_call(bookings, bookings_processes, new_quote, bearer):
    last = seoul_today() + timedelta(days=78)
    admin = bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic")
    slots = [
        requests.post(
            f"{bookings_processes[0]}/slots",
            json={"clinic": "oracle-skin-clinic", "start": seoul(day.isoformat(), "10:00").isoformat(), "capacity": 10},
            headers=admin,
            timeout=10,
        ).json()
        for day in series_days(last)
    ]
    quotes = [new_quote(followUpPlan="VIDEO_3")["id"] for _ in range(8)]
    agency = bearer("AGENCY", agency="seoul-trips", ttl=300)

    def attempt(index: int) -> requests.Response:
        body = {
            "quoteId": quotes[index],
            "slotId": slots[0]["id"],
            "laterSlotIds": [s["id"] for s in slots[1:]],
            "patient": PATIENT,
        }
        return requests.post(
            f"{bookings_processes[index % len(bookings_processes)]}/bookings",
            json=body,
            headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(8)))
    made = [a.json() for a in answers if a.status_code == 201]
    refused = [a.json() for a in answers if a.status_code != 201]
    assert {problem["code"] for problem in refused} <= {"FOLLOW_UP_UNAVAILABLE"}, refused
    assert len(made) >= 2, refused
    for number in range(3):  # each follow-up's calls: one booking each
        starts = [booking["followUps"][number]["start"] for booking in made]
        assert len(set(starts)) == len(starts), starts
    assert [seat_count(bookings, s["id"]) for s in slots] == [len(made)] * 3
    seats_are_owned(bookings)


def test_a_clinic_sets_its_consultation_hours_and_new_follow_ups_take_them(
    bookings, client, agency, bearer, open_slot, new_quote
):
    oracle = bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic")
    path = "/clinics/oracle-skin-clinic/consultation-hours"
    seeded = client.get(path)  # public: a partner moving a follow-up picks one of these calls
    assert seeded.status_code == 200 and (seeded.json["minutes"], seeded.json["source"]) == (30, "sample")
    evenings = {"minutes": 45, "calls": 2, "hours": [{"weekday": day, "from": "18:00", "to": "19:30"} for day in WEEK]}
    assert client.put(path, json=evenings, headers=agency).status_code == 403
    assert (
        client.put(path, json=evenings, headers=bearer("CLINIC_ADMIN", clinic="asan-medical-center")).status_code == 403
    )
    backwards = {**evenings, "hours": [{"weekday": "MON", "from": "19:00", "to": "18:00"}]}
    refused = client.put(path, json=backwards, headers=oracle)
    assert refused.status_code == 400 and refused.json["errors"][0]["field"] == "hours[0].to"
    assert client.get(path).json == seeded.json  # nothing written
    changed = client.put(path, json=evenings, headers=oracle)
    assert changed.status_code == 200 and changed.json == {
        "clinic": "oracle-skin-clinic",
        **evenings,
        "source": "admin",
    }
    assert client.get("/clinics/nowhere-clinic/consultation-hours").status_code == 404

    last = seoul_today() + timedelta(days=79)
    slots = [open_slot(seoul(day.isoformat(), "10:00")) for day in series_days(last)]
    made = [book_series(client, agency, new_quote(followUpPlan="VIDEO_3"), slots).json for _ in range(3)]
    day = (last + timedelta(days=14)).isoformat()
    # Two calls at once at 18:00, then the next 45-minute call.
    assert [m["followUps"][0]["start"] for m in made] == [
        seoul(day, "18:00").isoformat(),
        seoul(day, "18:00").isoformat(),
        seoul(day, "18:45").isoformat(),
    ]
    assert made[0]["followUps"][0]["durationMinutes"] == 45
    seats_are_owned(bookings)


def test_a_visit_cannot_move_past_its_follow_ups(bookings, client, agency, open_slot, new_quote):
    last = seoul_today() + timedelta(days=80)
    slots = [open_slot(seoul(day.isoformat(), "10:00")) for day in series_days(last)]
    made = book_series(client, agency, new_quote(followUpPlan="VIDEO_3"), slots).json
    past = open_slot(seoul((last + timedelta(days=14)).isoformat(), "13:00"))  # the day of follow-up 1
    soon = open_slot(seoul((last + timedelta(days=5)).isoformat(), "13:00"))
    path = f"/bookings/{made['reference']}/visits/3/reschedule"
    refused = client.post(path, json={"slotId": past["id"]}, headers={**agency, "Idempotency-Key": uuid.uuid4().hex})
    assert refused.status_code == 422 and refused.json["code"] == "FOLLOW_UP_OUTSIDE_WINDOW", refused.json
    assert refused.json["errors"][0]["field"] == "slotId"
    moved = client.post(path, json={"slotId": soon["id"]}, headers={**agency, "Idempotency-Key": uuid.uuid4().hex})
    assert moved.status_code == 200, moved.json
    assert moved.json["followUps"] == made["followUps"]  # the follow-ups stay where they are
    seats_are_owned(bookings)
