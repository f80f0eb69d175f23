"""Correct under concurrency across processes: the database decides, never Python."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.support import ORACLE, PATIENT, booking_count, in_days, seat_count


def test_three_processes_and_sixty_concurrent_requests_never_overbook(
    bookings, bookings_processes, new_quote, bearer, later_visits
):
    slot = requests.post(
        f"{bookings_processes[0]}/slots",
        json={"clinic": ORACLE, "start": in_days(15).isoformat(), "capacity": 5},
        headers=bearer("CLINIC_ADMIN", clinic=ORACLE),
        timeout=10,
    ).json()
    later_visits(slot)  # visits 2 and 3 have room for everyone: the first visit's five seats decide
    quotes = [new_quote()["id"] for _ in range(60)]
    agency = bearer("AGENCY", agency="seoul-trips", ttl=300)

    def attempt(index: int) -> requests.Response:
        base = bookings_processes[index % len(bookings_processes)]
        return requests.post(
            f"{base}/bookings",
            json={"quoteId": quotes[index], "slotId": slot["id"], "patient": PATIENT},
            headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=60) as pool:
        answers = list(pool.map(attempt, range(60)))
    outcomes = Counter(a.status_code if a.status_code == 201 else a.json()["code"] for a in answers)
    assert outcomes == {201: 5, "SLOT_FULL": 55}
    assert seat_count(bookings, slot["id"]) == 5 == booking_count(bookings)


def test_concurrent_requests_with_one_key_make_one_booking(
    bookings, bookings_processes, new_quote, bearer, later_visits
):
    slot = requests.post(
        f"{bookings_processes[0]}/slots",
        json={"clinic": ORACLE, "start": in_days(15).isoformat(), "capacity": 5},
        headers=bearer("CLINIC_ADMIN", clinic=ORACLE),
        timeout=10,
    ).json()
    later_visits(slot)  # visits 2 and 3 have room for everyone: the first visit's five seats decide
    body = {"quoteId": new_quote()["id"], "slotId": slot["id"], "patient": PATIENT}
    headers = {**bearer("AGENCY", agency="seoul-trips", ttl=300), "Idempotency-Key": "one-trip"}

    def attempt(index: int) -> requests.Response:
        return requests.post(f"{bookings_processes[index % 3]}/bookings", json=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(attempt, range(12)))
    created = {a.json()["reference"] for a in answers if a.status_code == 201}
    others = Counter(a.json()["code"] for a in answers if a.status_code != 201)
    assert len(created) == 1
    assert set(others) <= {"IDEMPOTENCY_KEY_IN_FLIGHT"}
    assert booking_count(bookings) == 1 and seat_count(bookings, slot["id"]) == 1
    # Once the first request is done, every retry replays it.
    replay = requests.post(f"{bookings_processes[1]}/bookings", json=body, headers=headers, timeout=10)
    assert replay.status_code == 201 and replay.json()["reference"] in created
