"""``python -m services.bookings check``: the seat ledger's books, proved on a live database.

Reads every slot with a seat taken, every claim not yet released, every booking, and every quote a
reservation locks (from the packages service), and reports each broken invariant:
- every seat taken has exactly one claim that names it, and every claim its seats (a claim still
  taking them is allowed its time: until its expiry and a sweep);
- a slot's counts agree with its holders;
- every visit of a booking that is not cancelled has its seat, named by the booking's claim, and every
  follow-up not cancelled its seat or call (and each its interpreter, when it shows one);
- no claim is left unsettled past its expiry and a sweep (a process died and no sweeper ran);
- every locked quote has its booking or a live reservation.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from services.common.clock import aware, utcnow

from . import ledger, packages, store


def lasting(sweep_seconds: float, pause: float = 2.0) -> list[str]:
    """What ``broken`` finds twice, ``pause`` seconds apart: on a live database a reservation may change
    between the reads of one pass (a seat taken after its claim was read), never the same way twice."""
    first = broken(utcnow(), sweep_seconds)
    if not first:
        return []
    time.sleep(pause)
    again = set(broken(utcnow(), sweep_seconds))
    return [problem for problem in first if problem in again]


def _named(claims: dict[str, dict], late: datetime, problems: list[str]) -> dict[str, dict[str, dict]]:
    """Every slot or unit id -> holder -> the claim naming it; a place named twice, a claim past its expiry."""
    named: dict[str, dict[str, dict]] = defaultdict(dict)
    for claim in claims.values():
        for item in ledger.claimed(claim):
            places = [item["resource"]] if item["kind"] == ledger.SEAT else [unit["id"] for unit in item["units"]]
            for place in places:
                other = named[place].setdefault(item["holder"], claim)
                if other is not claim:
                    problems.append(f"{place} {item['holder']} is named by {other['_id']} and {claim['_id']}")
        expiry = claim.get("expires_at")
        if expiry is not None and aware(expiry) < late:
            problems.append(f"claim {claim['_id']} is {claim['state']} past its expiry ({expiry:%Y-%m-%d %H:%M:%S})")
    return named


def _taken(named: dict[str, dict[str, dict]], problems: list[str]) -> dict[str, set[str]]:
    """Every slot or unit id -> who holds it; counts that disagree, holders no claim names."""
    taken: dict[str, set[str]] = {}
    for slot in store.every_slot():
        slot_id, holders = str(slot["_id"]), slot.get("holders", [])
        taken[slot_id] = set(holders)
        if not slot["booked"] == len(holders) == slot["capacity"] - slot["free"]:
            problems.append(f"slot {slot_id} counts {slot['booked']} booked and {slot['free']} free for {len(holders)}")
        if len(set(holders)) != len(holders):
            problems.append(f"slot {slot_id} names a holder twice")
        for holder in set(holders) - set(named.get(slot_id, {})):
            problems.append(f"slot {slot_id} has a seat taken by {holder} that no claim names")
    for unit in store.every_unit():
        holders = unit.get("holders", [])
        taken[unit["_id"]] = set(holders)
        if unit["count"] != len(holders) or len(set(holders)) != len(holders):
            problems.append(f"{unit['_id']} counts {unit['count']} for {len(holders)} holders")
        for holder in set(holders) - set(named.get(unit["_id"], {})):
            problems.append(f"{unit['_id']} is taken by {holder} that no claim names")
    return taken


def _booking_problems(booking: dict, own: dict | None) -> list[str]:
    """A booking's visits and follow-ups that its claim does not claim."""
    problems = []
    items = {(item["kind"], item["visit"], item["resource"]) for item in (own or {}).get("items", [])}
    moving = own is not None and own["state"] in ("MOVING", "RELEASING")
    for visit in booking["visits"]:
        if visit["status"] == "CANCELLED" or moving:
            continue
        if (ledger.SEAT, visit["number"], visit["slot_id"]) not in items:
            problems.append(f"booking {booking['reference']} visit {visit['number']} has no claimed seat")
        interpreter = visit.get("interpreter")
        if interpreter and (ledger.INTERPRETER, visit["number"], interpreter["id"]) not in items:
            problems.append(f"booking {booking['reference']} visit {visit['number']} has no claimed interpreter")
    for follow in booking.get("follow_ups") or []:
        if follow["status"] == "CANCELLED" or moving:
            continue
        kind = ledger.SEAT if follow["kind"] == "IN_PERSON" else ledger.CONSULTATION
        if (kind, follow["key"], follow["resource"]) not in items:
            problems.append(f"booking {booking['reference']} follow-up {follow['number']} has no claimed time")
        interpreter = follow.get("interpreter")
        if interpreter and (ledger.INTERPRETER, follow["key"], interpreter["id"]) not in items:
            problems.append(f"booking {booking['reference']} follow-up {follow['number']} has no claimed interpreter")
    return problems


def broken(now: datetime, sweep_seconds: float, quotes: Iterable[dict] | None = None) -> list[str]:
    """Every broken invariant, in words; empty when the books balance. ``quotes``: the locked quotes to
    prove ({id, lockedBy}), by default every one the packages service has."""
    late = now - timedelta(seconds=sweep_seconds)
    problems: list[str] = []
    claims = {claim["_id"]: claim for claim in store.unsettled_claims()}
    named = _named(claims, late, problems)
    taken = _taken(named, problems)
    for place, holders in named.items():
        for holder, claim in holders.items():
            still_taking = claim["state"] != "BOOKED" and aware(claim["expires_at"]) >= late
            if holder not in taken.get(place, set()) and not still_taking:
                what = f"a seat of slot {place}" if "|" not in place else place
                problems.append(f"claim {claim['_id']} ({claim['state']}) names {what} not taken")
    references = set()
    for booking in store.every_booking({"reference": 1, "visits": 1, "follow_ups": 1}):
        references.add(booking["reference"])
        problems += _booking_problems(booking, claims.get(booking["reference"]))
    for quote in packages.locked_quotes() if quotes is None else quotes:
        reference = quote["lockedBy"]
        if reference is not None and reference not in references and reference not in claims:
            problems.append(f"quote {quote['id']} is locked by {reference}, which is neither booked nor reserved")
    return problems
