"""The fault matrix: every step of booking, holding, booking from a hold, moving, cancelling,
accepting or declining a change the clinic proposed, releasing a hold and sweeping (each with a Japanese interpreter claimed for every visit, and three
remote follow-ups with theirs) fails, once by raising there (a bug, a lost database) and once by the
process being killed there (SIGKILL). Afterwards the sweeper runs, the request is retried with the
same key, and the seat ledger's books balance (every seat taken named by one claim, every claim's
seats taken, every booking's visits seated, the flow's quote locked by its booking or a live hold
only); the retry answers the same reference or a clean refusal.

In "kill" mode the requests go to a bookings process under gunicorn that reads its failpoints from
a file: the worker kills itself, and gunicorn starts another, as in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from services.bookings import events, sweeper
from services.bookings.models import Booking, IdempotencyKey
from services.common import failpoints
from services.common.clock import utcnow
from tests.support import (
    AGENCY,
    ORACLE,
    PATIENT,
    ROOT,
    bearer_headers,
    body_for,
    running_service,
    seat_count,
    seats_are_owned,
)
from tests.support import series as open_series

SEAT_HOLD_SECONDS = 1
OPTIONS = {"interpreterLanguage": "ja", "followUpPlan": "VIDEO_3"}  # every flow's quote
STEPS = {
    "book": [
        "bookings.after_reserve",
        "bookings.after_lock",
        "bookings.after_place",
        "bookings.after_seat",
        "bookings.after_seat.2",
        "bookings.after_seat.3",
        "bookings.after_interpreter",
        "bookings.after_interpreter.3",
        "bookings.after_consultation.F1",
        "bookings.after_interpreter.F3",
        "bookings.after_commit",
        "bookings.after_record",
    ],
    "hold": [
        "bookings.after_reserve",
        "bookings.after_lock",
        "bookings.after_place",
        "bookings.after_seat",
        "bookings.after_seat.3",
        "bookings.after_interpreter.2",
        "bookings.after_consultation.F2",
        "bookings.after_hold",
    ],
    "book_hold": ["bookings.after_hold_taken", "bookings.after_lock", "bookings.after_commit", "bookings.after_record"],
    "move": [
        "bookings.after_move_start",
        "bookings.after_move_seat",
        "bookings.after_move_interpreter",
        "bookings.after_move_record",
        "bookings.after_move_give_back",
    ],
    "move_follow_up": [
        "bookings.after_move_start",
        "bookings.after_move_consultation",
        "bookings.after_move_interpreter",
        "bookings.after_move_record",
        "bookings.after_move_give_back",
    ],
    "cancel": ["bookings.after_release_start", "bookings.after_cancel", "bookings.after_cancel_give_back"],
    "accept_change": [  # accepting an alternative the clinic proposed is a move
        "bookings.after_move_start",
        "bookings.after_move_seat",
        "bookings.after_move_interpreter",
        "bookings.after_move_record",
        "bookings.after_move_give_back",
    ],
    "decline_change": ["bookings.after_release_start", "bookings.after_decline", "bookings.after_cancel_give_back"],
    "release": ["bookings.after_give_back"],
}


@dataclass
class World:
    """What a case needs: the in-process app (its client, the sweeper), the process to fail, and helpers."""

    app: object
    failing: str | None  # the base URL of the process that reads its failpoints from ``points``
    points: Path | None
    agency: dict
    clinic: dict
    new_quote: Callable
    open_slot: Callable
    packages_url: str
    mode: str = "raise"
    day: int = 200

    def next_series(self) -> list[dict]:
        self.day += 4  # series 0, 30 and 65 days long never meet another's slots
        return open_series(self.open_slot, self.day)

    def call(self, mode: str, step: str, method: str, path: str, body: dict | None, headers: dict):
        """The request with ``step`` failing (mode raise or kill); None when its process died."""
        if mode == "raise":
            failpoints.ACTIVE[step] = "raise"
            try:
                return getattr(self.app.test_client(), method)(path, json=body, headers=headers)
            finally:
                del failpoints.ACTIVE[step]
        assert self.points is not None and self.failing is not None
        self.points.write_text(step)
        try:
            answer = requests.request(method, f"{self.failing}{path}", json=body, headers=headers, timeout=30)
        except requests.ConnectionError:
            answer = None
        self.points.write_text("")
        deadline = time.monotonic() + 30
        while True:  # gunicorn starts a new worker in place of the one that died
            try:
                if requests.get(f"{self.failing}/readyz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "the bookings process did not come back"
            time.sleep(0.1)
        return answer

    @classmethod
    def on(cls, app, new_quote: Callable, packages_url: str, failing: str | None = None, points: Path | None = None):
        admin = bearer_headers("CLINIC_ADMIN", clinic=ORACLE)

        def open_slot(start, capacity: int = 3) -> dict:
            body = {"clinic": ORACLE, "start": start.isoformat(), "capacity": capacity}
            answer = app.test_client().post("/slots", json=body, headers=admin)
            assert answer.status_code == 201, answer.json
            return answer.json

        agency = bearer_headers("AGENCY", agency=AGENCY)
        mode = "kill" if failing else "raise"
        return cls(app, failing, points, agency, admin, new_quote, open_slot, packages_url, mode)

    def hold(self, slots: list[dict], quote: dict):
        body = {"quoteId": quote["id"], "slotIds": [s["id"] for s in slots]}
        return self.again("post", "/holds", body, self.agency_key())

    def agency_key(self) -> dict:
        return {**self.agency, "Idempotency-Key": uuid.uuid4().hex}

    def again(self, method: str, path: str, body: dict | None, headers: dict):
        return getattr(self.app.test_client(), method)(path, json=body, headers=headers)

    def sweep(self) -> dict:
        """The sweeper, once every lease a failed step left has run out (the idempotency key of a request
        whose process died too: what its 30 seconds would do)."""
        time.sleep(SEAT_HOLD_SECONDS + 0.3)
        with self.app.app_context():
            IdempotencyKey.objects(state="IN_FLIGHT").update(set__lease_until=utcnow() - timedelta(seconds=1))
            return sweeper.sweep(hold_seconds=SEAT_HOLD_SECONDS)

    def quote(self, quote_id: str) -> dict:
        answer = requests.get(
            f"{self.packages_url}/quotes/{quote_id}", headers=bearer_headers("PLATFORM_ADMIN"), timeout=10
        )
        answer = answer.json()
        return {"id": quote_id, "lockedBy": answer["lockedBy"]}

    def balanced(self, *quote_ids: str) -> None:
        seats_are_owned(self.app, [self.quote(quote_id) for quote_id in quote_ids])

    def booking(self, reference: str) -> dict:
        return self.app.test_client().get(f"/bookings/{reference}", headers=self.agency).json


def in_days_after(slot: dict, days: int) -> datetime:
    """A moment ``days`` after a slot's start, at a time no series here uses."""
    return datetime.fromisoformat(slot["start"]).replace(hour=15, minute=15) + timedelta(days=days)


def failed(answer, mode: str) -> None:
    if mode == "kill":
        assert answer is None, "the process should have died"
    else:
        assert answer.status_code >= 500, answer.json


@pytest.fixture
def world(request, bookings_with, env, new_quote, packages_url):
    app = bookings_with(seat_hold_seconds=SEAT_HOLD_SECONDS)
    if request.param == "raise":
        yield World.on(app, new_quote, packages_url)
        return
    with tempfile.TemporaryDirectory() as folder:
        points = Path(folder) / "failpoints"
        points.write_text("")
        with running_service("bookings", {**env, "FAILPOINTS_FILE": str(points)}) as failing:
            yield World.on(app, new_quote, packages_url, failing, points)


MODES = ["raise", "kill"]


def key_reference(world: World, key: str) -> str:
    with world.app.app_context():
        return IdempotencyKey.objects.get(id=f"{AGENCY}:{key}").reference


def bookings_of(world: World, reference: str) -> int:
    with world.app.app_context():
        return Booking.objects(reference=reference).count()


@pytest.mark.parametrize("world", MODES, indirect=True)
def test_a_booking_failing_at_any_step_is_booked_once_by_its_retry(world: World):
    for step in STEPS["book"]:
        slots, quote, key = world.next_series(), world.new_quote(**OPTIONS), uuid.uuid4().hex
        body = body_for(quote, slots)
        headers = {**world.agency, "Idempotency-Key": key}
        failed(world.call(world.mode, step, "post", "/bookings", body, headers), world.mode)
        world.sweep()
        retry = world.again("post", "/bookings", body, headers)
        assert retry.status_code == 201, (step, retry.json)
        reference = retry.json["reference"]
        assert reference == key_reference(world, key) and bookings_of(world, reference) == 1, step
        assert [seat_count(world.app, s["id"]) for s in slots] == [1, 1, 1], step
        assert world.quote(quote["id"])["lockedBy"] == reference, step
        assert [bool(f["interpreter"]) for f in retry.json["followUps"]] == [True] * 3, step
        world.balanced(quote["id"])


@pytest.mark.parametrize("world", MODES, indirect=True)
def test_a_hold_failing_at_any_step_is_held_once_by_its_retry(world: World):
    for step in STEPS["hold"]:
        slots, quote, key = world.next_series(), world.new_quote(**OPTIONS), uuid.uuid4().hex
        body = {"quoteId": quote["id"], "slotIds": [s["id"] for s in slots]}
        headers = {**world.agency, "Idempotency-Key": key}
        failed(world.call(world.mode, step, "post", "/holds", body, headers), world.mode)
        world.sweep()
        retry = world.again("post", "/holds", body, headers)
        assert retry.status_code == 201, (step, retry.json)
        assert [seat_count(world.app, s["id"]) for s in slots] == [1, 1, 1], step
        assert world.quote(quote["id"])["lockedBy"] is not None, step
        world.balanced(quote["id"])
        booked = world.again("post", "/bookings", {"holdId": retry.json["id"], "patient": PATIENT}, world.agency_key())
        assert booked.status_code == 201 and [seat_count(world.app, s["id"]) for s in slots] == [1, 1, 1], step
        world.balanced(quote["id"])


@pytest.mark.parametrize("world", MODES, indirect=True)
def test_booking_a_hold_failing_at_any_step_books_it_once_on_retry(world: World):
    for step in STEPS["book_hold"]:
        slots, quote = world.next_series(), world.new_quote(**OPTIONS)
        held = world.hold(slots, quote)
        assert held.status_code == 201, held.json
        body, headers = {"holdId": held.json["id"], "patient": PATIENT}, world.agency_key()
        failed(world.call(world.mode, step, "post", "/bookings", body, headers), world.mode)
        world.sweep()
        retry = world.again("post", "/bookings", body, headers)
        assert retry.status_code == 201, (step, retry.json)
        assert bookings_of(world, retry.json["reference"]) == 1, step
        other = world.again("post", "/bookings", body, world.agency_key())  # another request: one booking per hold
        assert other.status_code == 409 and other.json["code"] == "HOLD_ALREADY_BOOKED", (step, other.json)
        assert [seat_count(world.app, s["id"]) for s in slots] == [1, 1, 1], step
        assert world.quote(quote["id"])["lockedBy"] == retry.json["reference"], step
        world.balanced(quote["id"])


def booked(world: World) -> tuple[dict, list[dict], dict]:
    slots, quote = world.next_series(), world.new_quote(**OPTIONS)
    made = world.again("post", "/bookings", body_for(quote, slots), world.agency_key())
    assert made.status_code == 201, made.json
    return made.json, slots, quote


@pytest.mark.parametrize("world", MODES, indirect=True)
def test_a_move_failing_at_any_step_is_made_once_by_its_retry(world: World):
    for step in STEPS["move"]:
        booking, slots, quote = booked(world)
        target = world.open_slot(in_days_after(slots[0], 32))
        path = f"/bookings/{booking['reference']}/visits/2/reschedule"
        headers = world.agency_key()
        failed(world.call(world.mode, step, "post", path, {"slotId": target["id"]}, headers), world.mode)
        world.sweep()
        retry = world.again("post", path, {"slotId": target["id"]}, headers)
        assert retry.status_code == 200 and retry.json["visits"][1]["slotId"] == target["id"], (step, retry.json)
        assert sum(1 for entry in retry.json["history"] if entry["moved"]) == 1, step
        assert [seat_count(world.app, s["id"]) for s in (slots[1], target)] == [0, 1], step
        world.balanced(quote["id"])


@pytest.mark.parametrize("world", MODES, indirect=True)
def test_a_follow_up_move_failing_at_any_step_is_made_once_by_its_retry(world: World):
    for step in STEPS["move_follow_up"]:
        booking, _, quote = booked(world)
        first = booking["followUps"][0]
        target = (datetime.fromisoformat(first["start"]) + timedelta(days=1, minutes=30)).isoformat()
        path = f"/bookings/{booking['reference']}/follow-ups/1/reschedule"
        headers = world.agency_key()
        failed(world.call(world.mode, step, "post", path, {"start": target}, headers), world.mode)
        world.sweep()
        retry = world.again("post", path, {"start": target}, headers)
        assert retry.status_code == 200 and retry.json["followUps"][0]["start"] == target, (step, retry.json)
        assert sum(1 for entry in retry.json["history"] if entry.get("followUp")) == 1, step
        assert retry.json["followUps"][0]["interpreter"] is not None, step
        world.balanced(quote["id"])


@pytest.mark.parametrize("world", MODES, indirect=True)
def test_a_cancellation_failing_at_any_step_is_finished_by_the_sweeper_or_its_retry(world: World):
    for step in STEPS["cancel"]:
        booking, slots, quote = booked(world)
        path = f"/bookings/{booking['reference']}/cancel"
        failed(world.call(world.mode, step, "post", path, {}, world.agency), world.mode)
        world.sweep()
        retry = world.again("post", path, {}, world.agency)
        assert retry.status_code == 200 or retry.json["code"] == "INVALID_TRANSITION", (step, retry.json)
        assert world.booking(booking["reference"])["status"] == "CANCELLED", step
        assert [seat_count(world.app, s["id"]) for s in slots] == [0, 0, 0], step
        world.balanced(quote["id"])


@pytest.mark.parametrize("world", MODES, indirect=True)
def test_a_hold_released_by_a_request_that_fails_is_given_back_whole(world: World):
    for step in STEPS["release"]:
        slots, quote = world.next_series(), world.new_quote(**OPTIONS)
        held = world.hold(slots, quote)
        path = f"/holds/{held.json['id']}/release"
        failed(world.call(world.mode, step, "post", path, None, world.agency), world.mode)
        world.sweep()
        assert world.again("post", path, None, world.agency).status_code == 204, step
        assert [seat_count(world.app, s["id"]) for s in slots] == [0, 0, 0], step
        assert world.quote(quote["id"])["lockedBy"] is None, step
        world.balanced(quote["id"])


# -- the sweeper itself, failing ---------------------------------------------------------------------------


def sweep_failing(world: World, mode: str, step: str, env: dict) -> None:
    """The sweeper, with ``step`` failing: in this process (raise) or as its command, killed."""
    time.sleep(SEAT_HOLD_SECONDS + 0.3)
    if mode == "raise":
        failpoints.ACTIVE[step] = "raise"
        try:
            with world.app.app_context(), pytest.raises(failpoints.Failpoint):
                sweeper.sweep(hold_seconds=SEAT_HOLD_SECONDS)
        finally:
            del failpoints.ACTIVE[step]
        return
    done = subprocess.run(
        [sys.executable, "-m", "services.bookings", "sweep"],
        env={**os.environ, **env, "FAILPOINTS": step},
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == -9, done.stderr


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "left,step",
    [
        ("expired hold", "bookings.sweep_claimed"),
        ("expired hold", "bookings.after_give_back"),
        ("move halfway", "bookings.sweep_claimed"),
        ("move halfway", "bookings.after_move_give_back"),
        ("cancellation halfway", "bookings.sweep_claimed"),
        ("cancellation halfway", "bookings.after_cancel_give_back"),
    ],
)
def test_a_sweeper_failing_at_any_step_leaves_its_work_to_the_next(
    bookings_with, env, new_quote, packages_url, mode, left, step
):
    app = bookings_with(seat_hold_seconds=SEAT_HOLD_SECONDS, checkout_hold_minutes=0)
    world = World.on(app, new_quote, packages_url)
    env = {**env, "SEAT_HOLD_SECONDS": str(SEAT_HOLD_SECONDS), "CHECKOUT_HOLD_MINUTES": "0"}
    if left == "expired hold":
        slots, quote = world.next_series(), new_quote(**OPTIONS)
        held = world.hold(slots, quote)
        assert held.status_code == 201, held.json
        kept = [0, 0, 0]
    else:
        booking, slots, quote = booked(world)
        if left == "move halfway":
            target = world.open_slot(in_days_after(slots[0], 32))
            path = f"/bookings/{booking['reference']}/visits/2/reschedule"
            world.call(
                "raise", "bookings.after_move_record", "post", path, {"slotId": target["id"]}, world.agency_key()
            )
            slots, kept = [slots[0], slots[1], target, slots[2]], [1, 0, 1, 1]
        else:
            world.call(
                "raise", "bookings.after_cancel", "post", f"/bookings/{booking['reference']}/cancel", {}, world.agency
            )
            kept = [0, 0, 0]
    sweep_failing(world, mode, step, env)
    time.sleep(SEAT_HOLD_SECONDS + 0.3)  # the next sweeper comes once the failed one's lease has run out
    with app.app_context():
        sweeper.sweep(hold_seconds=SEAT_HOLD_SECONDS)
        assert sweeper.sweep(hold_seconds=SEAT_HOLD_SECONDS) == {
            "reclaimed": 0,
            "recorded": 0,
            "settled": 0,
            "proposed": 0,
        }
        events.relay()  # as the sweeper's process does after each round
    assert [seat_count(app, s["id"]) for s in slots] == kept
    world.balanced(quote["id"])
    if left == "expired hold":
        assert world.quote(quote["id"])["lockedBy"] is None
        feed = app.test_client().get("/events?types=hold.expired", headers=world.agency).json["items"]
        assert [e["resource"]["id"] for e in feed] == [held.json["id"]]  # told once


def proposed(world: World, visit: int, alternative: bool = True) -> tuple[dict, list[dict], dict, dict | None]:
    """A booking whose visit ``visit`` the clinic withdrew (its slot closed), with an alternative slot for it."""
    booking, slots, quote = booked(world)
    target = world.open_slot(in_days_after(slots[0], 32)) if alternative else None
    closed = world.again("post", f"/slots/{slots[visit - 1]['id']}/close", None, world.clinic)
    assert closed.status_code == 200 and closed.headers["X-Visits-Proposed"] == "1", closed.json
    return booking, slots, quote, target


@pytest.mark.parametrize("world", MODES, indirect=True)
def test_accepting_a_proposed_change_failing_at_any_step_is_made_once_by_its_retry(world: World):
    for step in STEPS["accept_change"]:
        booking, slots, quote, target = proposed(world, 2)
        assert target is not None
        path = f"/bookings/{booking['reference']}/visits/2/accept-change"
        headers = world.agency_key()
        failed(world.call(world.mode, step, "post", path, {"slotId": target["id"]}, headers), world.mode)
        world.sweep()
        retry = world.again("post", path, {"slotId": target["id"]}, headers)
        assert retry.status_code == 200, (step, retry.json)
        assert (retry.json["visits"][1]["slotId"], retry.json["visits"][1]["status"]) == (target["id"], "BOOKED"), step
        assert retry.json["reference"] == booking["reference"], step
        assert sum(1 for entry in retry.json["history"] if entry["moved"]) == 1, step
        assert [seat_count(world.app, s["id"]) for s in (slots[1], target)] == [0, 1], step
        world.balanced(quote["id"])


@pytest.mark.parametrize("world", MODES, indirect=True)
def test_declining_a_proposed_change_failing_at_any_step_is_finished_by_the_sweeper_or_its_retry(world: World):
    for step in STEPS["decline_change"]:
        booking, slots, quote, _ = proposed(world, 3, alternative=False)
        path = f"/bookings/{booking['reference']}/visits/3/decline-change"
        headers = world.agency_key()
        failed(world.call(world.mode, step, "post", path, {}, headers), world.mode)
        world.sweep()
        retry = world.again("post", path, {}, headers)
        assert retry.status_code == 200, (step, retry.json)
        after = world.booking(booking["reference"])
        assert [v["status"] for v in after["visits"]] == ["BOOKED", "BOOKED", "CANCELLED"], step
        assert after["visits"][2]["refund"]["percent"] == 100, step
        assert [seat_count(world.app, s["id"]) for s in slots] == [1, 1, 0], step
        world.balanced(quote["id"])
