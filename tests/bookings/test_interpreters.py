"""Interpreters are people with calendars: each visit of a booking with an interpreter language claims
one, all or nothing with the seats, in the seat ledger; a move takes her along, a cancellation and an
expired hold give her time back; no one is ever in two rooms."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests

from services.bookings import events, seed, sweeper
from services.common.clock import utcnow
from tests.support import (
    ICEPICK,
    ORACLE,
    PACKAGE_INPUT,
    PATIENT,
    RECORDER,
    bearer_headers,
    body_for,
    in_days,
    post,
    seat_count,
    seats_are_owned,
    seoul_day,
    series,
)

BANOBAGI = "banobagi-dermatology"
AIKO = str(seed.interpreter_id("seoul-medical-interpreters", "Aiko Tanaka"))  # the provider's one Japanese interpreter


def units_of(bookings, holder_prefix: str) -> list[str]:
    with bookings.app_context():
        from services.bookings import store

        return sorted(u["_id"] for u in store.every_unit() if any(h.startswith(holder_prefix) for h in u["holders"]))


def booked(client, agency, quote, slots) -> dict:
    made = post(client, agency, body_for(quote, slots))
    assert made.status_code == 201, made.json
    return made.json


def test_each_visit_of_a_booking_in_japanese_gets_the_interpreter_all_or_nothing(
    bookings, client, open_slot, new_quote, agency
):
    slots = series(open_slot, 210)
    booking = booked(client, agency, new_quote(interpreterLanguage="ja"), slots)
    shown = [visit["interpreter"] for visit in booking["visits"]]
    assert [(i["name"], i["language"], i["provider"]) for i in shown] == [
        ("Aiko Tanaka", "ja", "Seoul Medical Interpreters")
    ] * 3
    assert shown[0]["credential"]["issuer"] == "HRD Korea"
    taken = units_of(bookings, booking["reference"])
    assert len([u for u in taken if u.startswith("time|")]) == 3 * 3  # 60 minutes and 30 of buffer, per visit
    assert len([u for u in taken if u.startswith("week|")]) == 3  # the provider caps its visits per clinic and week
    seats_are_owned(bookings)


def test_the_interpreter_goes_where_her_visit_goes_and_comes_back_with_a_cancellation(
    bookings, client, open_slot, new_quote, agency
):
    slots = series(open_slot, 214)
    booking = booked(client, agency, new_quote(interpreterLanguage="ja"), slots)
    reference = booking["reference"]
    before = units_of(bookings, reference)
    target = open_slot(in_days(214 + 31, "14:00"))
    moved = client.post(
        f"/bookings/{reference}/visits/2/reschedule",
        json={"slotId": target["id"]},
        headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["visits"][1]["interpreter"]["name"] == "Aiko Tanaka"
    after = units_of(bookings, reference)
    assert after != before and len(after) == len(before)  # her half hours at the old time went back
    assert any("T14:00:00+09:00" in unit for unit in after) and not any(
        slots[1]["start"][:16] in unit for unit in after
    )
    seats_are_owned(bookings)
    assert client.post(f"/bookings/{reference}/cancel", json={}, headers=agency).status_code == 200
    assert units_of(bookings, reference) == []
    seats_are_owned(bookings)


def test_an_expired_hold_gives_the_interpreter_back(bookings_with, open_slot, new_quote, agency):
    app = bookings_with(checkout_hold_minutes=0)
    client = app.test_client()
    held = client.post(
        "/holds",
        json={
            "quoteId": new_quote(interpreterLanguage="ja")["id"],
            "slotIds": [s["id"] for s in series(open_slot, 218)],
        },
        headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert held.status_code == 201, held.json
    assert units_of(app, "CB-") != []
    with app.app_context():
        assert sweeper.sweep(now=utcnow() + timedelta(seconds=5))["reclaimed"] == 1
        events.relay()
    assert units_of(app, "CB-") == []
    seats_are_owned(app)


def test_no_one_is_booked_in_a_language_no_interpreter_can_serve_then(bookings, client, open_slot, new_quote, agency):
    soon = series(open_slot, 2)  # the provider asks for 72 hours' notice
    refused = post(client, agency, body_for(new_quote(interpreterLanguage="ja"), soon))
    assert refused.status_code == 409 and refused.json["code"] == "INTERPRETER_UNAVAILABLE", refused.json
    assert refused.json["errors"] == [{"field": "slotId", "message": "no ja interpreter free"}]
    assert [seat_count(bookings, s["id"]) for s in soon] == [0, 0, 0]  # nothing taken
    evening = series(open_slot, 222, capacity=(3, 3, 3))
    late = open_slot(in_days(222, "21:00"))  # after everyone's working hours
    refused = post(client, agency, {**body_for(new_quote(interpreterLanguage="ja"), evening), "slotId": late["id"]})
    assert refused.status_code == 409 and refused.json["code"] == "INTERPRETER_UNAVAILABLE"
    seats_are_owned(bookings)


@pytest.fixture
def japanese_at_banobagi(packages_url):
    """A published one-visit package at Banobagi with a Japanese interpreter: the provider serves it too."""
    admin = bearer_headers("CLINIC_ADMIN", clinic=BANOBAGI)
    body = {
        **PACKAGE_INPUT,
        "clinic": BANOBAGI,
        "title": {"en": "One microneedling visit"},
        "items": [{"procedure": "MICRONEEDLING", "sessions": 1}],
        "interpreterOptions": [{"language": "ja", "included": False, "pricePerSessionKrw": 50_000}],
    }
    made = requests.post(f"{packages_url}/packages", json=body, headers=admin, timeout=10)
    assert made.status_code == 201, made.text
    published = requests.post(f"{packages_url}/packages/{made.json()['id']}/publish", headers=admin, timeout=10)
    assert published.status_code == 200, published.text
    return made.json()["id"]


def test_two_clinics_sharing_one_japanese_interpreter_book_her_once_for_an_hour(
    bookings, bookings_processes, open_slot, new_quote, agency, japanese_at_banobagi
):
    at = in_days(230, "11:00")
    oracle_slots = [open_slot(at, capacity=25)] + [
        open_slot(in_days(230 + days, "11:00"), capacity=25) for days in (30, 65)
    ]
    banobagi_slot = open_slot(at, capacity=25, clinic=BANOBAGI)
    quotes = [new_quote(interpreterLanguage="ja") for _ in range(20)]
    quotes += [new_quote(japanese_at_banobagi, interpreterLanguage="ja") for _ in range(20)]

    def attempt(index: int) -> requests.Response:
        if index < 20:
            body = body_for(quotes[index], oracle_slots)
        else:
            body = {"quoteId": quotes[index]["id"], "slotId": banobagi_slot["id"], "patient": PATIENT}
        base = bookings_processes[index % 3]
        headers = {**agency, "Idempotency-Key": uuid.uuid4().hex}
        return requests.post(f"{base}/bookings", json=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(attempt, range(40)))
    outcomes = Counter(a.status_code if a.status_code == 201 else a.json()["code"] for a in answers)
    assert outcomes == {201: 1, "INTERPRETER_UNAVAILABLE": 39}, outcomes
    winner = next(a.json() for a in answers if a.status_code == 201)
    assert {v["interpreter"]["id"] for v in winner["visits"]} == {AIKO}
    seats = [seat_count(bookings, s["id"]) for s in (*oracle_slots, banobagi_slot)]
    assert sum(seats) == len(winner["visits"])  # the losers took no seat
    seats_are_owned(bookings)


def test_two_bookings_at_one_hour_in_english_get_the_two_english_speaking_coordinators(
    bookings, open_slot, new_quote, agency
):
    slots = series(open_slot, 236, capacity=(4, 4, 4))

    def book(_):
        return post(bookings.test_client(), agency, body_for(new_quote(interpreterLanguage="en"), slots))

    with ThreadPoolExecutor(max_workers=2) as pool:  # both may read Hana free: the one who loses her gets Minji
        answers = list(pool.map(book, range(2)))
    assert [a.status_code for a in answers] == [201, 201], [a.json for a in answers]
    firsts = sorted(a.json["visits"][0]["interpreter"]["name"] for a in answers)
    assert firsts == ["Hana Lee", "Minji Park"]
    seats_are_owned(bookings)


def test_visits_in_one_week_each_count_against_the_providers_weekly_cap(
    bookings, open_slot, new_quote, agency, packages_url
):
    admin = bearer_headers("CLINIC_ADMIN", clinic=ORACLE)
    body = {**PACKAGE_INPUT, "interpreterOptions": [{"language": "ja", "included": True}]}  # two visits, 4 days apart
    made = requests.post(f"{packages_url}/packages", json=body, headers=admin, timeout=10).json()
    requests.post(f"{packages_url}/packages/{made['id']}/publish", headers=admin, timeout=10)
    monday = next(day for day in range(240, 247) if in_days(day).weekday() == 0)
    slots = [open_slot(in_days(monday, "10:00")), open_slot(in_days(monday + 4, "10:00"))]  # Monday and Friday
    booking = booked(
        client=bookings.test_client(), agency=agency, quote=new_quote(made["id"], interpreterLanguage="ja"), slots=slots
    )
    weeks = [u for u in units_of(bookings, booking["reference"]) if u.startswith("week|")]
    with bookings.app_context():
        from services.bookings import store

        counts = [store.units_by_id(weeks)[week]["count"] for week in weeks]
    assert counts == [2]  # one week, two visits
    assert (
        bookings.test_client().post(f"/bookings/{booking['reference']}/cancel", json={}, headers=agency).status_code
        == 200
    )
    with bookings.app_context():
        assert store.units_by_id(weeks)[weeks[0]]["count"] == 0
    seats_are_owned(bookings)


def test_a_move_retried_after_its_attempt_failed_takes_the_interpreter_it_recorded(
    bookings, client, open_slot, new_quote, agency, monkeypatch
):
    from services.common import failpoints

    slots = series(open_slot, 250)
    booking = booked(client, agency, new_quote(interpreterLanguage="ja"), slots)
    target = open_slot(in_days(250 + 32, "13:30"))
    path, headers = (
        f"/bookings/{booking['reference']}/visits/2/reschedule",
        {**agency, "Idempotency-Key": uuid.uuid4().hex},
    )
    monkeypatch.setitem(failpoints.ACTIVE, "bookings.after_move_interpreter", "raise")
    assert client.post(path, json={"slotId": target["id"]}, headers=headers).status_code == 500
    monkeypatch.delitem(failpoints.ACTIVE, "bookings.after_move_interpreter")
    retry = client.post(path, json={"slotId": target["id"]}, headers=headers)  # no sweeper in between
    assert retry.status_code == 200, retry.json
    assert retry.json["visits"][1]["slotId"] == target["id"] and retry.json["visits"][1]["interpreter"]["id"] == AIKO
    seats_are_owned(bookings)


def test_later_visits_are_proposed_and_booked_where_an_interpreter_is_free_for_them(
    bookings, client, open_slot, new_quote, agency
):
    first = open_slot(in_days(230, "10:00"))
    evening = open_slot(in_days(260, "21:00"))  # the earliest in visit 2's window, after everyone's hours
    morning = open_slot(in_days(262, "10:00"))
    last = open_slot(in_days(292, "10:00"))
    in_japanese, plain = new_quote(interpreterLanguage="ja"), new_quote()

    def proposed(quote: dict) -> list[str | None]:
        answer = client.post(
            "/visit-options", json={"quoteId": quote["id"], "firstSlotId": first["id"]}, headers=agency
        )
        assert answer.status_code == 200, answer.json
        return [visit["slot"]["id"] if visit["slot"] else None for visit in answer.json["visits"]]

    assert proposed(plain) == [first["id"], evening["id"], last["id"]]
    assert proposed(in_japanese) == [first["id"], morning["id"], last["id"]]
    made = post(client, agency, {"quoteId": in_japanese["id"], "slotId": first["id"], "patient": PATIENT})
    assert made.status_code == 201, made.json
    assert [visit["slotId"] for visit in made.json["visits"]] == [first["id"], morning["id"], last["id"]]
    assert {visit["interpreter"]["name"] for visit in made.json["visits"]} == {"Aiko Tanaka"}
    seats_are_owned(bookings)


def test_a_whole_plan_in_japanese_reads_the_interpreters_half_hours_once(client, open_slot, new_quote, agency, book):
    """Each later visit's window starts from the slot chosen for the visit before, yet when the earliest
    seats have an interpreter free, every visit's half hours are read in one query; where one has not,
    the plan is the same as visit by visit would find, with one read more for that visit's other slots."""
    first = open_slot(in_days(240, "10:00"))
    second, third = open_slot(in_days(270, "10:00")), open_slot(in_days(305, "10:00"))
    quote = new_quote(interpreterLanguage="ja")

    def proposed() -> tuple[list[str | None], int]:
        with RECORDER.recording() as commands:
            answer = client.post(
                "/visit-options", json={"quoteId": quote["id"], "firstSlotId": first["id"]}, headers=agency
            )
        assert answer.status_code == 200, answer.json
        reads = [command for name, _db, command in commands if name == "find" and command["find"] == "units"]
        return [visit["slot"]["id"] if visit["slot"] else None for visit in answer.json["visits"]], len(reads)

    assert proposed() == ([first["id"], second["id"], third["id"]], 1)
    # Now the earliest seat of visit 2's window is at an hour Aiko, Oracle's one Japanese interpreter, has
    # been booked for (and so are her visits 30 and 65 days later).
    taken = open_slot(in_days(269, "10:00"))
    book(taken, quote=new_quote(interpreterLanguage="ja"))
    # The guess (that slot, then day 299 for visit 3) is read at once and is wrong twice: each of visits 2
    # and 3 reads its other slots' half hours, as visit by visit would, and finds the same plan.
    assert proposed() == ([first["id"], second["id"], third["id"]], 3)


def test_a_series_whose_later_window_has_seats_but_no_interpreter_is_refused_by_name(
    bookings, client, open_slot, new_quote, agency
):
    first = open_slot(in_days(234, "10:00"))
    open_slot(in_days(264, "21:00"))  # visit 2's window's only seat, after everyone's hours
    refused = post(
        client,
        agency,
        {"quoteId": new_quote(interpreterLanguage="ja")["id"], "slotId": first["id"], "patient": PATIENT},
    )
    assert refused.status_code == 409 and refused.json["code"] == "INTERPRETER_UNAVAILABLE", refused.json
    assert "Visit 2" in refused.json["detail"] and "ja interpreter" in refused.json["detail"]
    assert seat_count(bookings, first["id"]) == 0
    seats_are_owned(bookings)


def test_next_free_slot_and_availability_offer_only_starts_an_interpreter_can_serve_throughout(client, open_slot):
    evening = open_slot(in_days(5, "21:00"))  # after everyone's hours
    morning = open_slot(in_days(6, "10:00"))
    open_slot(in_days(36, "10:00")), open_slot(in_days(71, "10:00"))  # visits 2 and 3 of either start

    def next_free(**language) -> str | None:
        asked = {"packages": [{"packageId": ICEPICK, "clinic": ORACLE, **language}]}
        answer = client.post("/availability/next", json=asked)
        assert answer.status_code == 200, answer.json
        return answer.json["items"][0] and answer.json["items"][0]["id"]

    def available(language: str = "") -> list[str]:
        query = f"packageId={ICEPICK}&from={seoul_day(1)}&to={seoul_day(10)}" + (
            f"&language={language}" if language else ""
        )
        answer = client.get(f"/availability?{query}")
        assert answer.status_code == 200, answer.json
        return [slot["id"] for slot in answer.json["items"]]

    assert (next_free(), available()) == (evening["id"], [evening["id"], morning["id"]])
    assert (next_free(language="ja"), available("ja")) == (morning["id"], [morning["id"]])
    assert (next_free(language="ar"), available("ar")) == (morning["id"], [morning["id"]])  # Omar, same hours
    assert next_free(language="sw") is None and available("sw") == []  # no one speaks Swahili


def test_an_interpreter_changed_between_the_check_and_the_write_of_another_change_is_decided_again(client, bearer):
    """One admin makes a coordinator IN_ROOM while another, in between, lets her serve three at once: the first
    change is checked again against her as the second left her, and refused by name; she is never IN_ROOM for
    three."""
    from services.common import failpoints

    admin = bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic")
    hours = [{"weekday": "TUE", "from": "09:00", "to": "12:00"}]
    made = client.post(
        "/interpreters",
        json={"name": "Mina Seo", "languages": ["ko"], "level": "BOOKING", "hours": hours},
        headers=admin,
    )
    assert made.status_code == 201, made.json
    person = made.json["id"]
    in_between: list[int] = []

    def the_other_admin():
        if not in_between:
            in_between.append(0)  # once: the other admin's own request passes the point too
            in_between[0] = client.patch(f"/interpreters/{person}", json={"capacity": 3}, headers=admin).status_code

    failpoints.ACTIVE["bookings.interpreter_checked"] = the_other_admin
    try:
        answer = client.patch(f"/interpreters/{person}", json={"level": "IN_ROOM"}, headers=admin)
    finally:
        del failpoints.ACTIVE["bookings.interpreter_checked"]
    assert in_between == [200]
    assert answer.status_code == 400 and answer.json["errors"][0]["field"] == "capacity", answer.json
    her = next(i for i in client.get("/interpreters", headers=admin).json["items"] if i["id"] == person)
    assert (her["level"], her["capacity"]) == ("BOOKING", 3)
