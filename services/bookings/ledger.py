"""The seat ledger: every claim on a seat, taken, held, turned into a booking, moved, given back and
expired here, and nowhere else.

A reservation (a booking being made, a checkout hold, a booking) has one claim, keyed by its
booking reference: what it claims (``items``, each of one shape: its kind, the resource, the visit
and the holder token), the quote it locks, its state and its expiry. A ``SEAT`` is a slot's seat; an
``INTERPRETER`` is an interpreter's half hours for a visit (and the provider's weekly visit for the
clinic, when it caps them), counted as ``units``; a ``CONSULTATION`` is a call in the clinic's
consultation hours, a unit too. A follow-up's items name it as their visit by its key (``F1``, ``F2``…):
an in-person follow-up is a ``SEAT``, a remote one a ``CONSULTATION``, each with its interpreter when the
booking has one. A claim moves between states only by an update guarded by the state and the lease
token it was read with (``store.move_claim``); the lease names who may move it next, and changes hands
only by such an update:

    HELD ──────────────► BOOKED ──► MOVING ──► BOOKED        (a booking; a visit moved)
      │  └─► BOOKING ──┘    └─────► RELEASING ─► BOOKED | RELEASED   (cancelled)
      └──────────┴──► EXPIRING ──► RELEASED                  (refused, released, or expired)

Every step writes its intent before its effect, so a process that dies anywhere leaves a claim
with an expiry that the sweeper finishes or undoes, idempotently:
- a reservation records its seats before taking them, and its quote before locking it;
- a booking exists from the update that moves its claim to BOOKED with the booking in it (the
  commit); the booking is then written to the bookings collection by the request, its retry or
  the sweeper, whichever comes first;
- a move records the seat it takes, a cancellation that it is giving seats back; the sweeper
  first fences the booking (bumps its revision, so a stalled request's update can no longer
  apply), then reads what the booking records and keeps or gives back accordingly.

When the clinic withdraws what a visit claims (a slot closed, an interpreter's hours closed: ``changes.py``),
the claim stays BOOKED and keeps naming it until the agency decides: accepting is a move (MOVING, as above;
an interpreter replaced at the same time is a move that keeps its seat), declining a cancellation of that
visit (RELEASING). So the books balance while the booking waits, and the other visits still move.

A request that loses its claim (a retry took it over, or the sweeper) changes nothing more: it
gives back only seats held under holder tokens the claim no longer names. Seats are held in the
slot under holder tokens ``<reference>/<random>``, new for each reservation and each move, so a
stale request's late seat is its own and never another's.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from bson import ObjectId
from pymongo.errors import DuplicateKeyError, PyMongoError

from services.common.clock import aware, utcnow
from services.common.errors import Problem
from services.common.failpoints import failpoint
from services.common.http import UpstreamFailure

from . import events, packages, store
from .idempotency import in_flight

SEAT, INTERPRETER, CONSULTATION = "SEAT", "INTERPRETER", "CONSULTATION"
log = logging.getLogger("clinicbridge.bookings.ledger")
TRANSIENT = ("HELD", "BOOKING", "MOVING", "RELEASING", "EXPIRING")
WAIT_SECONDS = 2.0  # how long a move or a cancellation waits for another one of the same booking to finish


class LeaseLost(Exception):
    """The claim moved on without this request: a retry or the sweeper took it over."""

    def __init__(self, claim: dict):
        super().__init__(claim["_id"])
        self.claim = claim


def _lease() -> str:
    return secrets.token_hex(8)


def holder(reference: str) -> str:
    """A new holder token for seats the reservation takes (or a move takes) from now on."""
    return f"{reference}/{secrets.token_hex(4)}"


def busy() -> Problem:
    return Problem(
        409,
        "CONCURRENT_UPDATE",
        "Another change of this booking is in progress; read it again and retry.",
        headers={"Retry-After": "1"},
    )


def _after(claim: dict, changes: dict, unset: tuple) -> dict:
    moved = {**claim, **changes}
    for field in unset:
        moved.pop(field, None)
    return moved


def _move(claim: dict, states: tuple[str, ...], changes: dict, unset: tuple = ()) -> dict:
    """Move ``claim`` as this request read it: the claim after; LeaseLost when it moved meanwhile."""
    if not store.move_claim(claim["_id"], states, claim["lease"], changes, unset):
        raise LeaseLost(store.claim_of(claim["_id"]) or claim)
    return _after(claim, changes, unset)


def _taken_over(claim: dict, states: tuple[str, ...], changes: dict, unset: tuple = ()) -> dict | None:
    """Take ``claim`` over for this request (a new lease), if it is still as it was read: the claim after."""
    changes = {**changes, "lease": _lease()}
    moved = store.move_claim(claim["_id"], states, claim["lease"], changes, unset)
    return _after(claim, changes, unset) if moved else None


def is_follow_up(item: dict) -> bool:
    """Whether an item serves a follow-up (its visit is the follow-up's key, ``F1``), not a visit."""
    return isinstance(item["visit"], str)


def _order(item: dict) -> tuple:
    """Items in a claim's order: the visits' by number, then the follow-ups'; a seat before its interpreter."""
    visit = item["visit"]
    place = (1, int(visit[1:])) if isinstance(visit, str) else (0, visit)
    return (*place, item["kind"] == INTERPRETER)


def claimed(claim: dict) -> list[dict]:
    """Every item a claim names: its own, and what a move is taking."""
    return [*claim.get("items", []), *(claim["move"]["items"] if claim.get("move") else [])]


def _take_item(item: dict, cutoff: datetime) -> bool:
    """Take what an item claims, each part by a guarded update; what its holder has already is taken."""
    if item["kind"] == SEAT:
        slot_id = ObjectId(item["resource"])
        if store.take_seat(slot_id, cutoff, item["holder"]):
            return True
        slot = store.slot_by_id(slot_id)
        return slot is not None and item["holder"] in slot["holders"]
    units, start = item["units"], 0
    while (refused := store.take_units(units[start:], item["holder"])) is not None:
        unit = units[start + refused]["id"]
        found = store.units_by_id([unit]).get(unit)
        if found is None or item["holder"] not in found["holders"]:
            return False
        start += refused + 1  # its holder has it already (a retry): on with the rest
    return True


def _give_back_item(item: dict) -> None:
    """Give back what an item claims, if its holder has it: twice is once."""
    if item["kind"] == SEAT:
        store.give_seat_back(ObjectId(item["resource"]), item["holder"])
        return
    store.give_units_back([unit["id"] for unit in item["units"]], item["holder"])


# -- reserving: a booking being made, or a checkout hold ----------------------------------------------


@dataclass
class Booked(Exception):
    """The reservation is a booking already (an earlier attempt under the same reference made it)."""

    claim: dict


class Spent(Exception):
    """The reference's reservation was released for good: a retry carries on under a new reference."""


def reserve(
    reference: str, quote_id: str, by: str, expires_at: datetime, slots: list[tuple[int, str]] | None = None
) -> dict:
    """The HELD claim this request works under: a new one, or the one an earlier attempt under the same
    reference left (taken over, with its seats and quote). Raises Booked when that attempt made the
    booking, Spent when its reservation was released (a released claim is never opened again, so a
    request that lost it may give back what it still held), and 409 while another step is under way."""
    now = utcnow()
    document = {
        "_id": reference,
        "state": "HELD",
        "lease": _lease(),
        "by": by,
        "items": _items(reference, slots or []),
        "quote_id": quote_id,
        "expires_at": expires_at,
        "created_at": now,
    }
    try:
        store.insert_claim(document)
        failpoint("bookings.after_reserve")
        return document
    except DuplicateKeyError:
        pass
    current = store.claim_of(reference)
    if current is None:  # purged in between
        return reserve(reference, quote_id, by, expires_at, slots)
    if current["state"] in ("BOOKED", "MOVING", "RELEASING") or (
        current["state"] == "RELEASED" and store.booking_by_reference(reference, {"_id": 1}) is not None
    ):
        raise Booked(current)  # made, and perhaps changed or cancelled since
    if current["state"] == "HELD" and current.get("hold_id"):
        return current  # a checkout hold an earlier attempt finished: it stands as it is
    if current["state"] == "RELEASED":
        raise Spent(reference)
    if current["state"] != "HELD":
        raise in_flight()
    taken = _taken_over(current, ("HELD",), {"by": by, "expires_at": expires_at})
    return taken or reserve(reference, quote_id, by, expires_at, slots)


class Reservation:
    """A reservation under way in this request: its claim as this request last moved it."""

    def __init__(self, claim: dict):
        self.claim = claim

    def place(self, slots: list[tuple[int, str]], interpreters: list[dict] | None = None) -> None:
        self.claim = place(self.claim, slots, interpreters or [])

    def take(
        self, cutoff: datetime, fields: dict[int, str | None], reassign: Reassign | None = None, start: int = 0
    ) -> int:
        """Take the claim's items from ``start`` on: how many it names now (all taken)."""
        self.claim = take(self.claim, cutoff, fields, reassign, start)
        return len(self.claim["items"])

    def commit(self, booking: dict, grace_seconds: int) -> None:
        self.claim = commit(self.claim, booking, grace_seconds)

    def confirm_hold(self, hold_id: str, owner: str, travel: list | None, expires_at: datetime) -> None:
        self.claim = confirm_hold(self.claim, hold_id, owner, travel, expires_at)


@contextmanager
def reservation(claim: dict) -> Iterator[Reservation]:
    """The steps of a reservation, undone as they must be: a refusal gives back every seat taken and the
    quote; a claim lost to the sweeper or a retry gives back only what this request still held that
    the claim no longer names (and the quote too, once the claim is released for good); any other
    failure leaves the claim to its retry or to the sweeper."""
    held = Reservation(claim)
    try:
        yield held
    except Problem:
        refuse(held.claim)
        raise
    except LeaseLost as lost:
        _abandon(held.claim, lost.claim)
        raise in_flight() from None
    except Exception:
        after_failure(held.claim)
        raise


def after_failure(mine: dict) -> None:
    """After a failure that is no refusal (the database, a bug): if the claim moved on without this
    request meanwhile, give back what it still holds (best effort: the database may be what failed);
    else leave it to the retry or the sweeper."""
    with suppress(PyMongoError, UpstreamFailure, Problem):
        now = store.claim_of(mine["_id"])
        if now is not None and now["lease"] != mine["lease"]:
            _abandon(mine, now)


def _abandon(mine: dict, now: dict) -> None:
    """What a request that lost its claim still holds goes back: seats under holder tokens the claim no
    longer names, and the quote if the claim was released for good (no one can hold it under this
    reference again)."""
    give_back_stray(mine, now)
    if now["state"] == "RELEASED" and mine.get("quote_id"):
        with suppress(UpstreamFailure, Problem):
            packages.unlock(mine["quote_id"], mine["_id"])


def _items(reference: str, slots: list[tuple[int, str]]) -> list[dict]:
    """The claim's seats, (visit, slot id) in order, under one new holder token."""
    token = holder(reference)
    return [{"kind": SEAT, "resource": slot_id, "visit": visit, "holder": token} for visit, slot_id in slots]


def interpreter_item(assigned: dict, language: str, token: str) -> dict:
    """An interpreter's claim for a visit (``interpreters.assign``): the half hours, and the provider's
    weekly visit when it caps them, under ``token``."""
    return {
        "kind": INTERPRETER,
        "resource": str(assigned["interpreter"]["_id"]),
        "visit": assigned["visit"],
        "holder": token,
        "language": language,
        "units": assigned["units"],
    }


def placed(claim: dict) -> bool:
    """Whether the claim names more than its visits' seats already (their interpreters, follow-ups)."""
    return any(item["kind"] != SEAT or is_follow_up(item) for item in claim["items"])


def place(claim: dict, slots: list[tuple[int, str]], interpreters: list[dict]) -> dict:
    """Record what the reservation is about to take, before taking any: a seat of each slot, (visit, slot
    id) in order, then the other items (``interpreters``: each visit's interpreter, and the follow-ups,
    without their holders yet). A claim that names some seats already (given at the start, or an earlier
    attempt's) keeps them and gets the others; one that names more than seats (an earlier attempt placed
    everything) stays as it is."""
    named = {item["visit"] for item in claim["items"]}
    missing = [(visit, slot_id) for visit, slot_id in slots if visit not in named]
    wanted = [{**item, "holder": holder(claim["_id"])} for item in interpreters]  # a token each: visits share units
    if placed(claim) or not (missing or wanted):
        failpoint("bookings.after_place")
        return claim
    moved = _move(claim, ("HELD",), {"items": [*claim["items"], *_items(claim["_id"], missing), *wanted]})
    failpoint("bookings.after_place")
    return moved


Reassign = Callable[[dict, set[str]], dict | list[dict] | None]  # (the item that failed, resources tried) -> others
REASSIGN_ATTEMPTS = 3


def take(
    claim: dict, cutoff: datetime, fields: dict[int, str | None], reassign: Reassign | None = None, start: int = 0
) -> dict:
    """Take everything the claim names from its ``start``-th item on (those before are taken already), each part
    by a guarded update; what its holder has already is taken. A slot that gives no seat refuses the
    reservation, naming its input field (by visit). An interpreter whose time another booking took first is
    replaced by ``reassign`` (the next one who is free), and so is a follow-up's seat or call (by the next free
    time in its window, with its interpreter), recorded in the claim before it is taken; when none is, the
    reservation is refused. The claim as it is after."""
    index = start
    while index < len(claim["items"]):
        item = claim["items"][index]
        tried = {item["resource"]}
        while not _take_item(item, cutoff):
            if item["kind"] == SEAT and not is_follow_up(item):
                raise why_no_seat(store.slot_by_id(ObjectId(item["resource"])), cutoff, fields.get(item["visit"]))
            other = reassign(item, tried) if reassign and len(tried) < REASSIGN_ATTEMPTS + 1 else None
            if other is None:
                if is_follow_up(item) and item["kind"] != INTERPRETER:
                    raise follow_up_gone(item)
                raise interpreter_gone(item["visit"], item["language"], fields.get(item["visit"]))
            _give_back_item(item)  # what it took of the one it could not have
            others = [
                {**one, "holder": holder(claim["_id"])} for one in (other if isinstance(other, list) else [other])
            ]
            item = others[0]
            tried.add(item["resource"])
            rest = claim["items"][index + 1 :]
            if len(others) > 1 or item["kind"] != INTERPRETER:  # a follow-up's new time: its interpreter with it
                rest = [one for one in rest if one["visit"] != item["visit"]]
            claim = _move(claim, (claim["state"],), {"items": [*claim["items"][:index], *others, *rest]})
        step = {SEAT: "seat", INTERPRETER: "interpreter", CONSULTATION: "consultation"}[item["kind"]]
        failpoint(f"bookings.after_{step}" if item["visit"] == 1 else f"bookings.after_{step}.{item['visit']}")
        index += 1
    return claim


QUOTED = ("package", "package_texts")  # a booking's copy of its package as quoted: kept by the quote too


def commit(claim: dict, booking: dict, grace_seconds: int) -> dict:
    """HELD or BOOKING → BOOKED, with the booking to record: from this update on, the booking exists.
    It is written to the bookings collection next (``materialize``), by whoever comes first. The claim
    keeps the booking without its copy of the package, which the quote it locks keeps (most of its
    size); the claim returned carries the whole booking, for this request to write out."""
    recorded = {key: value for key, value in booking.items() if key not in QUOTED}
    committed = _move(
        claim,
        ("HELD", "BOOKING"),
        {"state": "BOOKED", "booking": recorded, "expires_at": utcnow() + timedelta(seconds=grace_seconds)},
        ("held_until", "ending"),
    )
    failpoint("bookings.after_commit")
    return {**committed, "booking": booking}


def materialize(claim: dict) -> dict:
    """Write a committed booking to the bookings collection (once, whoever calls), then clear it from
    its claim: the booking as stored. A booking read back from its claim gets its copy of the package
    from the quote it locks."""
    document = dict(claim["booking"])
    if any(key not in document for key in QUOTED):
        quote = packages.locked_for(claim["quote_id"], claim["_id"])
        document.update(package=quote["package"], package_texts=quote.get("packageTexts") or {})
    try:
        store.insert_booking(document)
    except DuplicateKeyError:
        document = store.booking_by_reference(claim["_id"]) or document
    failpoint("bookings.after_record")
    store.move_claim(claim["_id"], ("BOOKED",), claim["lease"], {}, ("booking", "expires_at"))
    return document


def confirm_hold(claim: dict, hold_id: str, owner: str, travel: list | None, expires_at: datetime) -> dict:
    """Every seat of a checkout hold is taken: it gets its id and its own expiry."""
    held = _move(
        claim,
        ("HELD",),
        {"hold_id": hold_id, "owner": owner, "travel": travel, "expires_at": expires_at, "ending": "EXPIRED"},
    )
    failpoint("bookings.after_hold")
    return held


def refuse(claim: dict) -> None:
    """A reservation refused (a seat, a check, the quote itself): every seat it took goes back, then its
    quote (giving back a quote it never locked changes nothing), and it is RELEASED. A request that no
    longer holds the claim gives back nothing of another's. What the claim names is read back first: a
    refusal met after an item was replaced (``take``) finds the claim as it was recorded, not as read."""
    recorded = store.claim_of(claim["_id"])
    if recorded is not None and recorded["lease"] == claim["lease"] and recorded["state"] == claim["state"]:
        claim = recorded
    try:
        expiring = _move(claim, ("HELD",), {"state": "EXPIRING", "ending": "REFUSED"})
    except LeaseLost as lost:
        _abandon(claim, lost.claim)
        return
    _give_back(expiring)


def give_back_stray(mine: dict, now: dict) -> None:
    """After losing a claim, give back the seats this request took under holder tokens the claim no
    longer names (a seat it took after the sweeper had given the claim's back)."""
    named = {item["holder"] for item in claimed(now)} if now["state"] != "RELEASED" else set()
    for item in claimed(mine):
        if item["holder"] not in named:
            _give_back_item(item)


def _give_back(claim: dict) -> bool:
    """An EXPIRING claim's seats and quote go back, then it is RELEASED; False when the quote could not
    be given back yet (the sweeper tries again)."""
    for item in claimed(claim):
        _give_back_item(item)
    failpoint("bookings.after_give_back")
    if claim.get("quote_id"):
        try:
            packages.unlock(claim["quote_id"], claim["_id"])
        except (UpstreamFailure, Problem):
            return False
    store.move_claim(
        claim["_id"],
        ("EXPIRING",),
        claim["lease"],
        {"state": "RELEASED", "settled_at": utcnow()},
        ("expires_at", "held_until", "booking", "move", "by"),
    )
    return True


# -- checkout holds --------------------------------------------------------------------------------------


def hold_by_id(hold_id: str) -> dict | None:
    return store.claim_by_hold(hold_id)


def start_booking_hold(hold: dict, by: str, now: datetime, hold_seconds: int) -> dict | None:
    """HELD → BOOKING for the booking being made from a live hold, as read: no sweeper touches it
    before the lease (never sooner than the hold's own expiry). None when the hold has expired or
    another request or a sweeper moved it first."""
    if aware(hold["expires_at"]) <= now:
        return None
    lease = max(aware(hold["expires_at"]), now) + timedelta(seconds=hold_seconds)
    taken = _taken_over(
        hold, ("HELD",), {"state": "BOOKING", "by": by, "expires_at": lease, "held_until": hold["expires_at"]}
    )
    if taken is not None:
        failpoint("bookings.after_hold_taken")
    return taken


def take_over_booking_hold(hold: dict, by: str, now: datetime, hold_seconds: int) -> dict | None:
    """The retry of the very request (``by``) that was making the booking of a hold when it failed."""
    if hold["state"] != "BOOKING" or hold.get("by") != by:
        return None
    return _taken_over(hold, ("BOOKING",), {"expires_at": now + timedelta(seconds=hold_seconds)})


def resume_hold(claim: dict) -> None:
    """BOOKING → HELD with the hold's own expiry, when the booking was refused."""
    store.move_claim(
        claim["_id"],
        ("BOOKING",),
        claim["lease"],
        {"state": "HELD", "expires_at": claim["held_until"]},
        ("held_until", "by"),
    )


def release_hold(hold: dict, grace_seconds: int) -> bool:
    """The partner gives a live hold back: its seats and quote go back at once. False when it moved meanwhile."""
    expiring = _taken_over(
        hold,
        ("HELD",),
        {"state": "EXPIRING", "ending": "RELEASED", "expires_at": utcnow() + timedelta(seconds=grace_seconds)},
    )
    if expiring is None:
        return False
    _give_back(expiring)
    return True


# -- a booking's seats: moved, given back -------------------------------------------------------------


def _busy_claim(reference: str, start, retry_of: str) -> dict:
    """Run ``start`` on the booking's claim once it is BOOKED, waiting a little while another change
    of it finishes; a claim the same request (``retry_of``) left halfway is taken over."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        claim = store.claim_of(reference)
        if claim is None:
            raise Problem(409, "INVALID_TRANSITION", "The booking holds no seats to change.")
        if claim["state"] in ("BOOKED", "RELEASED") or claim.get("by") == retry_of:
            started = start(claim)
            if started is not None:
                return started
        if time.monotonic() > deadline:
            raise busy()
        time.sleep(0.05)


def start_move(
    reference: str,
    visit: int | str,
    slot_id: str,
    by: str,
    hold_seconds: int,
    interpreter: Callable[[], dict | None] = lambda: None,
    keep_seat: bool = False,
) -> dict:
    """BOOKED → MOVING: what visit ``visit`` is about to take (a seat in ``slot_id``, and the interpreter
    ``interpreter()`` assigns for the new time, an ``interpreter_item`` without its holder) is recorded
    first. A retry of the same request carries on with what its attempt recorded. ``keep_seat``: the visit (or
    follow-up, by its key) keeps the seat or call it has (its own item, under its holder) and only its interpreter
    changes."""

    def start(claim: dict) -> dict | None:
        expires = utcnow() + timedelta(seconds=hold_seconds)
        if claim["state"] == "MOVING":  # the same request, retried: carry on
            return _taken_over(claim, ("MOVING",), {"expires_at": expires})
        if claim["state"] != "BOOKED":
            raise Problem(409, "INVALID_TRANSITION", "The booking holds no seats to move.")
        own = next((i for i in claim["items"] if i["visit"] == visit and i["kind"] != INTERPRETER), None)
        if keep_seat and own is not None:
            items = [own]
        else:
            items = [{"kind": SEAT, "resource": slot_id, "visit": visit, "holder": holder(reference)}]
        if (assigned := interpreter()) is not None:
            items.append({**assigned, "holder": holder(reference)})
        move = {"visit": visit, "items": items}
        return _taken_over(claim, ("BOOKED",), {"state": "MOVING", "by": by, "move": move, "expires_at": expires})

    moving = _busy_claim(reference, start, by)
    failpoint("bookings.after_move_start")
    return moving


def start_follow_up_move(reference: str, key: str, items: Callable[[], list[dict]], by: str, hold_seconds: int) -> dict:
    """BOOKED → MOVING for follow-up ``key``: what it is about to take (``items()``: its seat or call
    first, then its interpreter, without holders) is recorded first, as for a visit (``start_move``)."""

    def start(claim: dict) -> dict | None:
        expires = utcnow() + timedelta(seconds=hold_seconds)
        if claim["state"] == "MOVING":  # the same request, retried: carry on
            return _taken_over(claim, ("MOVING",), {"expires_at": expires})
        if claim["state"] != "BOOKED":
            raise Problem(409, "INVALID_TRANSITION", "The booking holds no follow-up to move.")
        move = {"visit": key, "items": [{**item, "holder": holder(reference)} for item in items()]}
        return _taken_over(claim, ("BOOKED",), {"state": "MOVING", "by": by, "move": move, "expires_at": expires})

    moving = _busy_claim(reference, start, by)
    failpoint("bookings.after_move_start")
    return moving


def _move_seat(claim: dict) -> dict:
    """What a move takes in the place of the visit's (or follow-up's) seat or call: its first item."""
    return claim["move"]["items"][0]


move_item = _move_seat


def _recorded_at(booking: dict, visit: int | str) -> str | None:
    """The seat (slot id), or the follow-up's seat or call, the booking records for a visit or follow-up."""
    if isinstance(visit, str):
        found = next((f for f in booking.get("follow_ups") or [] if f["key"] == visit), None)
        return found["resource"] if found else None
    return next(v for v in booking["visits"] if v["number"] == visit)["slot_id"]


def _move_recorded(booking: dict, claim: dict) -> bool:
    """Whether the booking records what the move takes: its seat or call, and a visit's interpreter (a move that
    keeps the seat changes only her)."""
    visit = claim["move"]["visit"]
    if _recorded_at(booking, visit) != _move_seat(claim)["resource"]:
        return False
    if isinstance(visit, str):
        shown = next(f for f in booking.get("follow_ups") or [] if f["key"] == visit).get("interpreter")
    else:
        shown = next(v for v in booking["visits"] if v["number"] == visit).get("interpreter")
    taken = next((i for i in claim["move"]["items"] if i["kind"] == INTERPRETER), None)
    return taken is None or (shown is not None and shown["id"] == taken["resource"])


def _named(items: list[dict]) -> set[tuple[str, str]]:
    return {(item["resource"], item["holder"]) for item in items}


def take_move(claim: dict, cutoff: datetime) -> None:
    """What a move records, taken; refused (and the move undone) when the slot gives no seat or the
    interpreter's time is gone."""
    for item in claim["move"]["items"]:
        if _take_item(item, cutoff):
            failpoint(f"bookings.after_move_{item['kind'].lower()}")
            continue
        abort_move(claim)
        if is_follow_up(item) and item["kind"] != INTERPRETER:
            raise follow_up_gone(item, "slotId" if item["kind"] == SEAT else "start")
        if item["kind"] == SEAT:
            raise why_no_seat(store.slot_by_id(ObjectId(item["resource"])), cutoff)
        raise interpreter_gone(item["visit"], item["language"], "slotId" if not is_follow_up(item) else None)


def finish_own_move(reference: str, by: str, booking: dict) -> None:
    """A retry that finds its move recorded finishes what its attempt left (``by`` names the request)."""
    claim = store.claim_of(reference)
    if claim is not None and claim["state"] == "MOVING" and claim.get("by") == by:
        taken = _taken_over(claim, ("MOVING",), {})
        if taken is not None:
            finish_move(taken, booking)


def move_seat_taken(claim: dict) -> bool:
    """Whether the seat (or call) a move records is taken (by this move, or by the attempt this request
    retries)."""
    seat = _move_seat(claim)
    if seat["kind"] != SEAT:  # a follow-up's call
        unit = store.units_by_id([seat["units"][0]["id"]]).get(seat["units"][0]["id"])
        return unit is not None and seat["holder"] in unit["holders"]
    slot = store.slot_by_id(ObjectId(seat["resource"]))
    return slot is not None and seat["holder"] in slot["holders"]


def still_mine(claim: dict) -> bool:
    """Whether this request still holds the claim (read after the booking, see ``fence``)."""
    now = store.claim_of(claim["_id"])
    return now is not None and now["lease"] == claim["lease"] and now["state"] == claim["state"]


def finish_move(claim: dict, booking: dict) -> None:
    """The move is recorded in the booking: what it replaced goes back, then the claim names what it took
    (or, if the booking kept the old slot after all, what the move took goes back)."""
    move = claim["move"]
    visit = move["visit"]
    if _move_recorded(booking, claim):
        replaced = [item for item in claim["items"] if item["visit"] == visit]
        items = sorted([*(item for item in claim["items"] if item["visit"] != visit), *move["items"]], key=_order)
    else:
        replaced, items = move["items"], claim["items"]
    kept = _named(items)  # a seat the move kept (an interpreter's change) is in both
    for item in replaced:
        if (item["resource"], item["holder"]) not in kept:
            _give_back_item(item)
    failpoint("bookings.after_move_give_back")
    store.move_claim(claim["_id"], ("MOVING",), claim["lease"], {"state": "BOOKED", "items": items}, _SETTLED_MOVE)


_SETTLED_MOVE = ("move", "expires_at", "by")


def abort_move(claim: dict) -> None:
    """The move is not made: what it took goes back, and the claim is as it was."""
    kept = _named(claim["items"])
    for item in claim["move"]["items"]:
        if (item["resource"], item["holder"]) not in kept:
            _give_back_item(item)
    store.move_claim(claim["_id"], ("MOVING",), claim["lease"], {"state": "BOOKED"}, _SETTLED_MOVE)


def start_release(reference: str, by: str, hold_seconds: int) -> dict | None:
    """BOOKED → RELEASING before a cancellation is recorded; None when the booking holds no seat."""

    def start(claim: dict) -> dict | None:
        if claim["state"] == "RELEASED":
            return claim
        expires = utcnow() + timedelta(seconds=hold_seconds)
        states = ("RELEASING",) if claim["state"] == "RELEASING" else ("BOOKED",)
        return _taken_over(claim, states, {"state": "RELEASING", "by": by, "expires_at": expires})

    claim = _busy_claim(reference, start, by)
    if claim["state"] == "RELEASED":
        return None
    failpoint("bookings.after_release_start")
    return claim


def finish_release(claim: dict, booking: dict) -> None:
    """The cancelled visits' and follow-ups' seats, calls and interpreters go back; the claim keeps the
    others' (visits and follow-ups that took place)."""
    cancelled = {v["number"] for v in booking["visits"] if v["status"] == "CANCELLED"} | {
        f["key"] for f in booking.get("follow_ups") or [] if f["status"] == "CANCELLED"
    }
    kept = [item for item in claim["items"] if item["visit"] not in cancelled]
    for item in claim["items"]:
        if item["visit"] in cancelled:
            _give_back_item(item)
    failpoint("bookings.after_cancel_give_back")
    if kept:
        store.move_claim(
            claim["_id"], ("RELEASING",), claim["lease"], {"state": "BOOKED", "items": kept}, ("expires_at", "by")
        )
    else:
        store.move_claim(
            claim["_id"],
            ("RELEASING",),
            claim["lease"],
            {"state": "RELEASED", "items": claim["items"], "settled_at": utcnow()},
            ("expires_at", "by"),
        )


# -- the sweeper's part --------------------------------------------------------------------------------


def sweep(
    now: datetime, grace_seconds: int, batch: int, recorded: Callable[[dict], object] = lambda booking: None
) -> dict:
    """Finish or undo every claim left past its expiry: a reservation never committed (its seats and
    quote go back; a checkout hold's agency is told it expired), a committed booking not yet written
    (it is written, then given to ``recorded``), a move or a cancellation halfway (settled by what the
    booking records). A claim the packages service cannot help with now is left for the next round."""
    counts = {"reclaimed": 0, "recorded": 0, "settled": 0}
    for claim in store.expired_claims(now, batch):
        try:
            outcome = _settle(claim, now, {"expires_at": now + timedelta(seconds=grace_seconds)}, recorded)
        except (UpstreamFailure, Problem):
            log.warning("a claim left for the next round", extra={"reference": claim["_id"]})
            continue
        if outcome:
            counts[outcome] += 1
    return counts


def _settle(claim: dict, now: datetime, grace: dict, recorded: Callable[[dict], object]) -> str | None:
    """The sweeper's step for one expired claim; what it did, if anything."""
    state = claim["state"]
    if state == "BOOKED" and claim.get("booking"):
        recorded(materialize(claim))
        return "recorded"
    if state in ("HELD", "BOOKING", "EXPIRING"):
        ending = claim.get("ending") if state != "BOOKING" else "EXPIRED"
        expiring = _taken_over(claim, (state,), {"state": "EXPIRING", "ending": ending or "EXPIRED", **grace})
        if expiring is None:
            return None
        failpoint("bookings.sweep_claimed")
        if expiring.get("hold_id") and expiring["ending"] == "EXPIRED":
            events.hold_expired(expiring, now)
        return "reclaimed" if _give_back(expiring) else None
    if state in ("MOVING", "RELEASING"):
        mine = _taken_over(claim, (state,), grace)
        if mine is None:
            return None
        failpoint("bookings.sweep_claimed")
        store.fence_booking(claim["_id"])
        booking = store.booking_by_reference(claim["_id"], {"visits": 1, "follow_ups": 1})
        if booking is None:
            return None
        (finish_move if state == "MOVING" else finish_release)(mine, booking)
        return "settled"
    return None


def fence(reference: str) -> None:
    """Let no update a stalled request decided on the booking as read before apply (see the sweeper)."""
    store.fence_booking(reference)


# -- what a slot can give ------------------------------------------------------------------------------


def booking_cutoff(min_notice_hours: float, now: datetime | None = None) -> datetime:
    """The earliest start a new booking may take: now plus the minimum notice."""
    return (now or utcnow()) + timedelta(hours=min_notice_hours)


def holds_seat(slot: dict, reference: str) -> bool:
    """Whether the reservation ``reference`` holds a seat of the slot as read (under any holder token)."""
    return any(token == reference or token.startswith(f"{reference}/") for token in slot["holders"])


def serves(slot: dict, clinic: str, package_id: str) -> bool:
    """Whether a slot is open for a package: its clinic's, for that package or for any."""
    return slot["clinic"] == clinic and slot["package_id"] in (None, package_id)


def not_for_package(fields: list[str]) -> Problem:
    """The refusal of slots (by input field) that are not open for the package."""
    errors = [{"field": field, "message": "belongs to another clinic or package"} for field in fields]
    return Problem(422, "SLOT_NOT_FOR_PACKAGE", "A slot is not open for this package.", errors=errors)


def seat_looks_free(slot: dict, cutoff: datetime) -> bool:
    """Whether a slot as read seems to have a seat for a booking starting after ``cutoff`` (a read,
    to refuse early; only a guarded update takes a seat)."""
    return slot["status"] == "OPEN" and aware(slot["start"]) > cutoff and slot["free"] > 0


def interpreter_gone(visit: int, language: str, field: str | None) -> Problem:
    """The interpreter assigned to a visit was taken meanwhile (another booking got her first)."""
    errors = [{"field": field, "message": f"no {language} interpreter free"}] if field else None
    detail = f"No {language} interpreter is free for visit {visit}: another booking took her time first."
    return Problem(409, "INTERPRETER_UNAVAILABLE", detail, errors=errors)


def follow_up_gone(item: dict, field: str | None = None) -> Problem:
    """A follow-up's seat or call was taken meanwhile (another booking got it first)."""
    follow = item["follow_up"]
    detail = f"The time chosen for follow-up {follow['number']} was taken by another booking first."
    errors = [{"field": field, "message": "taken"}] if field else None
    return Problem(409, "FOLLOW_UP_UNAVAILABLE", detail, errors=errors)


def why_no_seat(slot: dict | None, cutoff: datetime, field: str | None = "slotId") -> Problem:
    """Why a slot gave no seat, naming the input ``field`` that asked for it (which visit), if any."""

    def refused(status: int, code: str, detail: str, message: str) -> Problem:
        return Problem(status, code, detail, errors=[{"field": field, "message": message}] if field else None)

    if slot is None:
        return refused(422, "UNKNOWN_SLOT", "No such slot.", "unknown slot")
    if slot["status"] != "OPEN":
        return refused(409, "SLOT_CLOSED", "The clinic has closed this slot.", "closed")
    if aware(slot["start"]) <= cutoff:
        return refused(409, "SLOT_TOO_SOON", "The slot starts too soon to be booked.", "too soon")
    return refused(409, "SLOT_FULL", "Every seat of this slot is taken.", "full")
