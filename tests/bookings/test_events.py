"""The event log: each change written with its event, every event once, in order, to those it concerns."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support import ORACLE, body_for, in_days, post, running_service, series, sweep


@pytest.fixture
def clinic_admin(bearer):
    return bearer("CLINIC_ADMIN", clinic=ORACLE)


def feed(client, headers, after: int = 0, limit: int = 100, types: str | None = None) -> dict:
    query = f"/events?after={after}&limit={limit}" + (f"&types={types}" if types else "")
    answer = client.get(query, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def test_every_change_of_a_booking_is_told_in_order_with_its_new_state(
    client, open_slot, new_quote, agency, clinic_admin, bearer
):
    slots = series(open_slot, 150)
    reference = post(client, agency, body_for(new_quote(), slots)).json["reference"]
    for action in ("confirm", "arrive", "fulfill"):
        assert client.post(f"/bookings/{reference}/{action}", json={}, headers=clinic_admin).status_code == 200
    later = open_slot(in_days(150 + 33, "14:00"))
    move = client.post(
        f"/bookings/{reference}/visits/2/reschedule",
        json={"slotId": later["id"]},
        headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert move.status_code == 200
    assert client.post(f"/bookings/{reference}/cancel", json={}, headers=agency).status_code == 200
    told = feed(client, agency)
    assert [e["type"] for e in told["items"]] == [
        "booking.created",
        "booking.confirmed",
        "visit.arrived",
        "visit.fulfilled",
        "visit.rescheduled",  # one event, not a cancel and a create
        "booking.cancelled",
    ]
    assert told["more"] is False and len({e["id"] for e in told["items"]}) == 6
    assert [e["seq"] for e in told["items"]] == sorted(e["seq"] for e in told["items"])
    created, confirmed, arrived, fulfilled, moved, cancelled = told["items"]
    assert created["resource"] == {"type": "booking", "id": reference} and created["data"]["status"] == "PENDING"
    assert [v["status"] for v in arrived["data"]["visits"]] == ["ARRIVED", "BOOKED", "BOOKED"]
    assert (arrived["data"]["visit"], arrived["data"]["status"]) == (1, "ARRIVED")
    assert (moved["data"]["visit"], moved["data"]["from"], moved["data"]["to"]) == (
        2,
        slots[1]["start"],
        later["start"],
    )
    assert moved["data"]["visits"][1]["slotId"] == later["id"]
    assert cancelled["data"]["status"] == "CANCELLED" and cancelled["data"]["refund"]["visitsRefunded"] == 2
    assert [e["id"] for e in feed(client, clinic_admin)["items"]] == [e["id"] for e in told["items"]]
    assert feed(client, bearer("AGENCY", agency="busan-tours"))["items"] == []  # not another agency's
    assert feed(client, bearer("CLINIC_ADMIN", clinic="asan-medical-center"))["items"] == []
    only = feed(client, agency, types="visit.rescheduled,booking.cancelled")["items"]
    assert [e["id"] for e in only] == [moved["id"], cancelled["id"]]


def test_a_burst_of_bookings_on_three_processes_is_read_back_once_each_in_order(
    bookings, client, bookings_processes, open_slot, new_quote, bearer
):
    agency = bearer("AGENCY", agency="seoul-trips", ttl=300)
    starts = [series(open_slot, 160 + day, capacity=(30, 30, 30)) for day in (0, 1)]
    quotes = [new_quote()["id"] for _ in range(24)]

    def book(index: int) -> str:
        base = bookings_processes[index % 3]
        body = body_for({"id": quotes[index]}, starts[index % 2])
        made = requests.post(
            f"{base}/bookings", json=body, headers={**agency, "Idempotency-Key": uuid.uuid4().hex}, timeout=60
        )
        assert made.status_code == 201, made.text
        return made.json()["reference"]

    def read_page(index: int) -> list:  # pages read while bookings are made
        return requests.get(f"{bookings_processes[index % 3]}/events?limit=5", headers=agency, timeout=60).json()[
            "items"
        ]

    with ThreadPoolExecutor(max_workers=12) as pool:
        made = list(pool.map(book, range(24)))
        list(pool.map(read_page, range(6)))
    seen, cursor, pages = [], 0, 0
    while True:
        page = feed(client, agency, after=cursor, limit=5)
        seen += page["items"]
        cursor, pages = int(page["cursor"]), pages + 1
        if not page["more"]:
            break
    assert pages >= 5 and sorted(e["resource"]["id"] for e in seen) == sorted(made)  # each booking once
    assert len({e["id"] for e in seen}) == 24 and [e["seq"] for e in seen] == sorted(e["seq"] for e in seen)
    assert feed(client, agency, after=cursor)["items"] == []  # nothing new: nothing again


def test_a_cancellation_whose_process_died_is_still_told(client, open_slot, new_quote, agency, env):
    slots = series(open_slot, 170)
    reference = post(client, agency, body_for(new_quote(), slots)).json["reference"]
    with (
        running_service("bookings", {**env, "FAILPOINTS": "bookings.after_cancel"}) as crashing,
        pytest.raises(requests.ConnectionError),
    ):
        requests.post(f"{crashing}/bookings/{reference}/cancel", json={}, headers=agency, timeout=30)
    sweep(env)  # the sweeper gives the seats back; the event was written with the cancellation itself
    assert [e["type"] for e in feed(client, agency)["items"]] == ["booking.created", "booking.cancelled"]
