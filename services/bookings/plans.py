"""Whole plans: from a first visit's slot, the slot of every later visit (the earliest one with a free seat
inside the package's window after the visit before it) and, when the patient needs one, an interpreter
free for every visit, and the first follow-up of the follow-up plan asked for (an in-person one's seat, a
remote one's call, each with its interpreter). A start is offered only when its whole plan can be
reserved, and a booking given only its first slot reserves the plan found here.

Every plan asked for at once is worked out together, a visit number at a time: one query of the slots
of every plan's next window (by offer and Seoul week); then the first follow-ups, at most two queries
for their seats or calls. The interpreters cost two queries (who serves the clinics and languages, their
providers). Their half hours, and the remote follow-ups' calls taken, cost one query for the whole of
every plan when each visit's earliest seat and each follow-up's earliest call has one free: a first pass
guesses so, and the real pass reads again only past a wrong guess (that visit's other slots; then, as
the later windows have moved, up to two reads of half hours and one of slots per later visit). The cost
grows with the visits a package has and the slots inside the windows asked about, never with the
catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from services.common import series
from services.common.clock import SEOUL, seoul_date

from . import followups, interpreters, store
from .ledger import seat_looks_free
from .reads import Reads

SEAT, INTERPRETER = "SEAT", "INTERPRETER"
# A later visit's slots tried for an interpreter, earliest first: past these, the plan is not offered.
CANDIDATES_PER_VISIT = 24
# A remote follow-up's calls looked at, earliest first, in its window: past these, the plan is not offered.
CALLS_LOOKED_AT = 48


@dataclass
class Wanted:
    """A plan asked for: the package (``id``, ``clinic``, ``schedule``, ``visitWindow``), the first
    visit's slot, the interpreter language the patient needs (None: no interpreter) and the package's
    follow-up plan chosen (None: none; a messaging plan has no appointment to find). ``follow_up`` is
    then the first follow-up's time found ({kind, start, slot}), or None."""

    package: dict
    first: dict
    language: str | None = None
    follow_up_plan: dict | None = None
    visits: list[dict] = field(default_factory=list)
    follow_up: dict | None = None

    @property
    def needs_follow_up(self) -> bool:
        return self.follow_up_plan is not None and self.follow_up_plan["kind"] in followups.KINDS_WITH_TIMES

    @property
    def visits_complete(self) -> bool:
        return len(self.visits) == self.package["schedule"]["visits"] and all(v["slot"] for v in self.visits)

    @property
    def complete(self) -> bool:
        return self.visits_complete and (self.follow_up is not None or not self.needs_follow_up)


def _offers(package: dict) -> tuple[str, str]:
    return store.offer(package["clinic"], None), store.offer(package["clinic"], package["id"])


def _servable(
    reads: Reads, asked: Sequence[tuple[Wanted, list[dict]]], tried: int = CANDIDATES_PER_VISIT
) -> list[dict | None]:
    """For each (plan, candidate slots in order): the first candidate an interpreter looks free for (of
    the first ``tried``), or the first candidate when the plan needs none. The calendars of the clinics
    and languages not read yet (two queries), then the half hours of every plan's first candidate, and
    only for the plans it does not serve, of their other candidates (each unit read once, by ``reads``)."""
    needing = [
        ((wanted.package["clinic"], wanted.language), slots[:tried])
        for wanted, slots in asked
        if wanted.language is not None
    ]
    reads.calendars([key for key, _ in needing])
    served = _served(reads, {(*key, str(slots[0]["_id"])): slots[0] for key, slots in needing if slots})
    served |= _served(
        reads,
        {
            (*key, str(slot["_id"])): slot
            for key, slots in needing
            if slots and (*key, str(slots[0]["_id"])) not in served
            for slot in slots[1:]
        },
    )
    return [
        next(
            (
                slot
                for slot in slots[:tried]
                if wanted.language is None or (wanted.package["clinic"], wanted.language, str(slot["_id"])) in served
            ),
            None,
        )
        for wanted, slots in asked
    ]


def _served(reads: Reads, candidates: dict[tuple[str, str, str], dict]) -> set[tuple[str, str, str]]:
    """Which of these (clinic, language, slot id) an interpreter looks free for: one read of half hours."""
    checked = [
        (
            asked,
            reads.calendar(*asked[:2]).options(interpreters.Visit(0, slot["start"], slot["duration_minutes"], None)),
        )
        for asked, slot in candidates.items()
    ]
    free = interpreters.first_free([options for _, options in checked], reads.guessed) if checked else []
    return {asked for (asked, _), person in zip(checked, free, strict=True) if person}


def work_out(wanted: list[Wanted], cutoff: datetime, reads: Reads) -> list[Wanted]:
    """Fill in each plan's ``visits`` ({number, slot, earliest, latest}; the first visit's window dates
    are None): a visit with no slot is None, with what it is ``missing`` (SEAT: no free seat in its
    window; INTERPRETER: no interpreter free at any that has one), and so are the visits after it.
    ``reads`` (with the interpreters' buffer and the moment their notice counts from) is kept for what
    the caller chooses next (a booking: the interpreters, the follow-ups)."""
    if any(plan.language is not None for plan in wanted):
        reads.speculating = True
        try:
            _work_out(wanted, cutoff, reads)
        finally:
            reads.speculating = False
        reads.units_by_id(sorted(reads.asked_units))
    return _work_out(wanted, cutoff, reads)


def _work_out(wanted: list[Wanted], cutoff: datetime, reads: Reads) -> list[Wanted]:
    for plan in wanted:
        plan.visits = [{"number": 1, "slot": plan.first, "earliest": None, "latest": None}]
        plan.follow_up = None
    firsts = _servable(reads, [(plan, [plan.first]) for plan in wanted])
    for plan, slot in zip(wanted, firsts, strict=True):
        if slot is None:
            plan.visits[0].update(slot=None, missing=INTERPRETER)
    for number in range(2, max((plan.package["schedule"]["visits"] for plan in wanted), default=1) + 1):
        going = [plan for plan in wanted if number <= plan.package["schedule"]["visits"]]
        windows: list[tuple[date, date] | None] = []
        for plan in going:
            before = plan.visits[-1]["slot"]
            rule = series.Window.of(plan.package["visitWindow"])
            windows.append(rule.after(seoul_date(before["start"])) if before else None)
        keys = sorted(
            {
                f"{offer}:{week}"
                for plan, window in zip(going, windows, strict=True)
                if window
                for offer in _offers(plan.package)
                for week in _weeks(*window)
            }
        )
        by_key: dict[str, list[dict]] = {}
        for slot in reads.bookable(keys):
            if seat_looks_free(slot, cutoff):
                by_key.setdefault(slot["day_key"], []).append(slot)
        asked = []
        for plan, window in zip(going, windows, strict=True):
            found = [
                slot
                for offer in _offers(plan.package)
                for day in (_days(*window) if window else [])
                for slot in by_key.get(f"{offer}:{day}", [])
            ]
            asked.append((plan, sorted(found, key=lambda slot: (slot["start"], str(slot["_id"])))))
        for (plan, found), window, slot in zip(asked, windows, _servable(reads, asked), strict=True):
            earliest, latest = (window[0].isoformat(), window[1].isoformat()) if window else (None, None)
            visit = {"number": number, "slot": slot, "earliest": earliest, "latest": latest}
            if window and slot is None:
                visit["missing"] = INTERPRETER if found else SEAT
            plan.visits.append(visit)
    _first_follow_ups([plan for plan in wanted if plan.visits_complete and plan.needs_follow_up], cutoff, reads)
    return wanted


def _first_follow_ups(wanted: list[Wanted], cutoff: datetime, reads: Reads) -> None:
    """Set each plan's ``follow_up``: its first follow-up's earliest seat (in person) or call (remote video)
    in its window after the plan's last visit, with an interpreter free when the plan needs one, tried as a
    booking tries them (``followups``). One query for the seats of every in-person window, two for the
    calls (the clinics' hours, the calls taken: read with the half hours when guessed), then the
    interpreters."""
    window = {
        id(plan): followups.windows(
            plan.package, plan.follow_up_plan or {}, [seoul_date(v["slot"]["start"]) for v in plan.visits], None
        )[0]
        for plan in wanted
    }
    in_person = [plan for plan in wanted if (plan.follow_up_plan or {})["kind"] == "IN_PERSON"]
    remote = [plan for plan in wanted if (plan.follow_up_plan or {})["kind"] == "REMOTE_VIDEO"]
    asked = _seats_for(in_person, window, cutoff, reads) + _calls_for(remote, window, cutoff, reads)
    for (plan, _), found in zip(asked, _servable(reads, asked, followups.ATTEMPTS), strict=True):
        if found is not None:
            kind = (plan.follow_up_plan or {})["kind"]
            plan.follow_up = {"kind": kind, "start": found["start"], "slot": found if kind == "IN_PERSON" else None}


def _seats_for(wanted: list[Wanted], window: dict[int, tuple[date, date]], cutoff: datetime, reads: Reads) -> list:
    keys = sorted(
        {f"{offer}:{week}" for plan in wanted for offer in _offers(plan.package) for week in _weeks(*window[id(plan)])}
    )
    by_key: dict[str, list[dict]] = {}
    for slot in reads.bookable(keys):
        if seat_looks_free(slot, cutoff):
            by_key.setdefault(slot["day_key"], []).append(slot)
    asked = []
    for plan in wanted:
        found = [
            slot
            for offer in _offers(plan.package)
            for day in _days(*window[id(plan)])
            for slot in by_key.get(f"{offer}:{day}", [])
        ]
        asked.append((plan, sorted(found, key=lambda slot: (slot["start"], str(slot["_id"])))))
    return asked


def _calls_for(wanted: list[Wanted], window: dict[int, tuple[date, date]], cutoff: datetime, reads: Reads) -> list:
    """Each plan's free calls, as slots ({_id: the call's unit, start, duration_minutes}), in order."""
    if not wanted:
        return []
    hours = reads.consultation_hours(sorted({plan.package["clinic"] for plan in wanted}))
    looked_at: list[list[tuple[str, datetime]]] = []
    for plan in wanted:
        kept = hours.get(plan.package["clinic"])
        starts = followups.consultation_starts(kept, *window[id(plan)]) if kept and kept.get("hours") else []
        soonest = [start for start in starts if start > cutoff][:CALLS_LOOKED_AT]
        looked_at.append([(followups.consultation_unit(plan.package["clinic"], start), start) for start in soonest])
    units = sorted({unit for calls in looked_at for unit, _ in calls})
    taken = reads.guessed(units) if units else {}
    asked = []
    for plan, calls in zip(wanted, looked_at, strict=True):
        kept = hours.get(plan.package["clinic"]) or {}
        free = [
            {"_id": unit, "start": start, "duration_minutes": kept["minutes"]}
            for unit, start in calls
            if taken.get(unit, {"count": 0})["count"] < kept["calls"]
        ]
        asked.append((plan, free))
    return asked


def _weeks(first: date, last: date) -> list[str]:
    """The Seoul weeks (``store.week_of``) from ``first`` to ``last``: a window's slots are read by week, a
    few keys whatever its length."""
    return store.weeks_between(datetime.combine(first, time(), SEOUL), datetime.combine(last, time(), SEOUL))


def _days(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def starts(
    package: dict,
    firsts: list[dict],
    language: str | None,
    follow_up_plan: dict | None,
    cutoff: datetime,
    buffer_minutes: int,
    now: datetime,
) -> list[dict]:
    """The first slots, of these, from which the package's whole plan can be reserved, in their order."""
    asked = [Wanted(package, first, language, follow_up_plan) for first in firsts]
    return [plan.first for plan in work_out(asked, cutoff, Reads(buffer_minutes, now)) if plan.complete]


def interpreted(slots: list[dict], language: str, buffer_minutes: int, now: datetime) -> set[str]:
    """The ids of these slots an interpreter in ``language`` looks free for, each slot on its own (the
    slots' clinics' calendars read at once, then the half hours of them all)."""
    asked = [(Wanted({"clinic": slot["clinic"]}, slot, language), [slot]) for slot in slots]
    found = _servable(Reads(buffer_minutes, now), asked, 1)
    return {str(slot["_id"]) for slot in found if slot is not None}


def follow_up_plan_of(package: dict, kind: str | None) -> dict | None:
    """The package's first follow-up plan of ``kind`` (None when none is asked for)."""
    if kind is None:
        return None
    return next((plan for plan in package.get("followUpPlans", []) if plan["kind"] == kind), None)
