"""Follow-ups as appointments: which seat or call each follow-up of a booking's plan takes, reserved in
the seat ledger with the visits, all or nothing.

- ``IN_PERSON``: a seat of a clinic's slot (for the package, or for any) inside the follow-up's window
  after the last visit, on a day the patient is in Korea when the patient's trips are given.
- ``REMOTE_VIDEO``: a call in the clinic's consultation hours inside its window, never before the day
  after the patient's departure; each call's time is a unit of the ledger, so two follow-ups never
  take the same call.
- ``MESSAGING``: no appointment, a dated window.

Either kind claims an interpreter for its time when the booking has an interpreter language. The
windows are ``services.common.series``'s. A follow-up is chosen as the earliest time that fits, as a
later visit is; the partner may move it afterwards (``reschedule``).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime, time, timedelta

from services.common import series
from services.common.clock import SEOUL, aware, seoul_date, utcnow
from services.common.errors import Problem, not_found, validation_problem
from services.common.tokens import Principal

from . import interpreters, ledger, store
from .reads import Reads

CLINIC_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
ATTEMPTS = 6  # the free times tried for an interpreter before a follow-up is refused: its cost stays bounded
KINDS_WITH_TIMES = ("IN_PERSON", "REMOTE_VIDEO")


def key(number: int) -> str:
    return f"F{number}"


def plan_of(package: dict, code: str | None) -> dict | None:
    """The follow-up plan ``code`` of the package, if the booking chose one."""
    return next((plan for plan in package.get("followUpPlans", []) if plan["code"] == code), None)


def windows(package: dict, plan: dict, visit_days: list[date], travel: list[dict] | None) -> list[tuple[date, date]]:
    """Each follow-up's first and last Seoul day, after visits on ``visit_days``."""
    leave = series.departure(visit_days, package["schedule"]["minimumStayDays"], travel)
    return series.follow_up_windows(plan["kind"], plan["count"], visit_days[-1], leave)


def unavailable(number: int, kind: str, first: date, last: date, field: str | None = None) -> Problem:
    where = "slot with a free seat" if kind == "IN_PERSON" else "consultation time"
    detail = f"Follow-up {number} ({kind}) has no free {where} between {first} and {last}."
    errors = [{"field": field, "message": f"none free between {first} and {last}"}] if field else None
    return Problem(409, "FOLLOW_UP_UNAVAILABLE", detail, errors=errors)


def consultation_unit(clinic: str, start: datetime) -> str:
    return f"consult|{clinic}|{aware(start).astimezone(SEOUL).isoformat()}"


def consultation_starts(hours: dict, first: date, last: date) -> list[datetime]:
    """Every call's start in the clinic's consultation hours between two Seoul days, in order."""
    length = timedelta(minutes=hours["minutes"])
    starts = []
    day = first
    while day <= last:
        weekday = interpreters.WEEKDAYS[day.weekday()]
        for span in sorted((h for h in hours["hours"] if h["weekday"] == weekday), key=lambda h: h["from"]):
            moment = datetime.combine(day, time.fromisoformat(span["from"]), SEOUL)
            end = datetime.combine(day, time.fromisoformat(span["to"]), SEOUL)
            while moment + length <= end:
                starts.append(moment)
                moment += length
        day += timedelta(days=1)
    return sorted(starts)


def in_hours(hours: dict, start: datetime) -> bool:
    """Whether a call may start at ``start``: one of the clinic's calls, in its hours."""
    local = aware(start).astimezone(SEOUL)
    return local in consultation_starts(hours, local.date(), local.date())


class Chooser:
    """Chooses follow-up times for one booking of a clinic's package (and moves them), each thing read once
    by ``reads`` (a booking's own: what its plan and its visits' interpreters read already)."""

    def __init__(self, clinic: str, package_id: str, language: str | None, reads: Reads):
        self.clinic, self.package_id, self.language, self.reads = clinic, package_id, language, reads

    def hours(self) -> dict:
        hours = self.reads.consultation_hours([self.clinic]).get(self.clinic)
        if not hours or not hours.get("hours"):
            raise Problem(
                409,
                "FOLLOW_UP_UNAVAILABLE",
                "The clinic keeps no consultation hours for remote video follow-ups.",
            )
        return hours

    def _interpreter(self, follow: dict) -> list[dict] | None:
        """The interpreter item for a follow-up at its time ([] without a language); None when no one is free."""
        if not self.language:
            return []
        visit = interpreters.Visit(follow["key"], follow["start"], follow["duration_minutes"], None)
        calendar = self.reads.calendar(self.clinic, self.language)  # read once for every follow-up of the plan
        try:
            found = interpreters.assign(
                self.clinic,
                self.language,
                [visit],
                self.reads.buffer_minutes,
                self.reads.now,
                calendar=calendar,
                read=self.reads.units_by_id,
            )[0]
        except Problem:
            return None
        shown = interpreters.shown(found["interpreter"], found["provider"], self.language)
        return [{**ledger.interpreter_item(found, self.language, ""), "shown": shown, "follow_up": follow}]

    def seat_items(self, number: int, slot: dict) -> list[dict] | None:
        """An in-person follow-up at ``slot``: its seat, and its interpreter (None: no interpreter free)."""
        follow = {
            "number": number,
            "key": key(number),
            "kind": "IN_PERSON",
            "start": slot["start"],
            "duration_minutes": slot["duration_minutes"],
            "slot_id": str(slot["_id"]),
        }
        interpreter = self._interpreter(follow)
        if interpreter is None:
            return None
        seat = {"kind": ledger.SEAT, "resource": str(slot["_id"]), "visit": key(number), "holder": ""}
        return [{**seat, "follow_up": follow}, *interpreter]

    def call_items(self, number: int, start: datetime) -> list[dict] | None:
        """A remote follow-up at ``start``: its call, and its interpreter (None: no interpreter free)."""
        hours = self.hours()
        start = aware(start).astimezone(SEOUL)
        follow = {
            "number": number,
            "key": key(number),
            "kind": "REMOTE_VIDEO",
            "start": start,
            "duration_minutes": hours["minutes"],
            "slot_id": None,
        }
        interpreter = self._interpreter(follow)
        if interpreter is None:
            return None
        unit = consultation_unit(self.clinic, start)
        call = {
            "kind": ledger.CONSULTATION,
            "resource": unit.split("|", 1)[1],
            "visit": key(number),
            "holder": "",
            "units": [{"id": unit, "capacity": hours["calls"]}],
            "follow_up": follow,
        }
        return [call, *interpreter]

    def in_person(
        self, number: int, first: date, last: date, travel: list | None, cutoff: datetime, exclude: Collection = ()
    ) -> list[dict]:
        """The earliest free slot of the clinic inside the window (on a day of the patient's trips, when given),
        other than those in ``exclude``."""
        offers = [store.offer(self.clinic, None), store.offer(self.clinic, self.package_id)]
        days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
        found = store.bookable_slots_on([f"{offer}:{day}" for offer in offers for day in days])
        free = sorted(
            (
                slot
                for slot in found
                if ledger.seat_looks_free(slot, cutoff)
                and str(slot["_id"]) not in exclude
                and (not travel or series.in_a_trip(seoul_date(slot["start"]), travel))
            ),
            key=lambda slot: (slot["start"], str(slot["_id"])),
        )
        for slot in free[:ATTEMPTS]:
            if (items := self.seat_items(number, slot)) is not None:
                return items
        raise unavailable(number, "IN_PERSON", first, last)

    def _calls(self, first: date, last: date, cutoff: datetime, exclude: Collection = ()) -> dict[str, datetime]:
        """The calls in the clinic's consultation hours inside the window, after ``cutoff`` and not in
        ``exclude``, in order: each one's unit and start."""
        units = (
            (consultation_unit(self.clinic, start), start) for start in consultation_starts(self.hours(), first, last)
        )
        return {unit: start for unit, start in units if start > cutoff and unit.split("|", 1)[1] not in exclude}

    def _free_calls(self, first: date, last: date, cutoff: datetime, exclude: Collection = ()) -> list[datetime]:
        """Those of ``_calls`` that are not all taken, in order."""
        units = self._calls(first, last, cutoff, exclude)
        taken, calls = self.reads.units_by_id(list(units)), self.hours()["calls"]
        return [start for unit, start in units.items() if taken.get(unit, {"count": 0})["count"] < calls]

    def read_ahead(self, spans: list[tuple[date, date]], cutoff: datetime) -> None:
        """For remote follow-ups in these windows: every window's calls in one query, then the interpreters'
        half hours at each window's first free call in one more, so that choosing them reads again only where
        that call is no one's to take."""
        self.reads.units_by_id(sorted({unit for first, last in spans for unit in self._calls(first, last, cutoff)}))
        if not self.language:
            return
        calendar = self.reads.calendar(self.clinic, self.language)
        firsts = [free[0] for first, last in spans if (free := self._free_calls(first, last, cutoff))]
        minutes = self.hours()["minutes"]
        options = [calendar.options(interpreters.Visit(0, start, minutes, None)) for start in firsts]
        self.reads.units_by_id(sorted({unit["id"] for found in options for _, units in found for unit in units}))

    def remote(self, number: int, first: date, last: date, cutoff: datetime, exclude: Collection = ()) -> list[dict]:
        """The earliest free call in the clinic's consultation hours inside the window, other than those in
        ``exclude``."""
        free = self._free_calls(first, last, cutoff, exclude)
        for start in free[:ATTEMPTS]:
            if (items := self.call_items(number, start)) is not None:
                return items
        raise unavailable(number, "REMOTE_VIDEO", first, last)


def choose(quote: dict, visit_slots: list[dict], travel: list | None, cutoff: datetime, reads: Reads) -> list[dict]:
    """The claim items of every follow-up of the quote's plan (none for a messaging plan, or none chosen),
    each at the earliest time that fits after visits at ``visit_slots``; refused FOLLOW_UP_UNAVAILABLE
    naming the first follow-up no time fits. From the booking's ``reads``."""
    package = quote["package"]
    plan = plan_of(package, quote.get("followUpPlan"))
    if plan is None or plan["kind"] not in KINDS_WITH_TIMES:
        return []
    days = [seoul_date(slot["start"]) for slot in visit_slots]
    language = quote.get("interpreterLanguage")
    chooser = Chooser(quote["clinic"], quote["packageId"], language, reads)
    items: list[dict] = []
    spans = windows(package, plan, days, travel)
    if plan["kind"] == "REMOTE_VIDEO":
        chooser.read_ahead(spans, cutoff)
    for number, (first, last) in enumerate(spans, start=1):
        if plan["kind"] == "IN_PERSON":
            items += chooser.in_person(number, first, last, travel, cutoff)
        else:
            items += chooser.remote(number, first, last, cutoff)
    return items


def another(
    quote: dict,
    visit_slots: list[dict],
    travel: list | None,
    cutoff: datetime,
    buffer_minutes: int,
    item: dict,
    tried: Collection,
) -> list[dict] | None:
    """Another time for a follow-up whose seat or call another booking took first: the next free one in its
    window (with its interpreter), none of ``tried``; None when there is none."""
    follow, package = item["follow_up"], quote["package"]
    plan = plan_of(package, quote.get("followUpPlan"))
    if plan is None:
        return None
    days = [seoul_date(slot["start"]) for slot in visit_slots]
    first, last = windows(package, plan, days, travel)[follow["number"] - 1]
    reads = Reads(buffer_minutes, utcnow())  # afresh: what the ledger refused was read before
    chooser = Chooser(quote["clinic"], quote["packageId"], quote.get("interpreterLanguage"), reads)
    try:
        if follow["kind"] == "IN_PERSON":
            return chooser.in_person(follow["number"], first, last, travel, cutoff, tried)
        return chooser.remote(follow["number"], first, last, cutoff, tried)
    except Problem:
        return None


def records(claim: dict) -> list[dict]:
    """The follow-ups a claim reserves, as the booking records them."""
    items = [item for item in claim["items"] if ledger.is_follow_up(item)]
    shown = {item["visit"]: item["shown"] for item in items if item["kind"] == ledger.INTERPRETER}
    return sorted(
        (
            {
                **item["follow_up"],
                "resource": item["resource"],
                "status": "BOOKED",
                "interpreter": shown.get(item["visit"]),
            }
            for item in items
            if item["kind"] != ledger.INTERPRETER
        ),
        key=lambda follow: follow["number"],
    )


def messaging(package: dict, code: str | None, visit_days: list[date]) -> dict | None:
    """A messaging plan's dated window after the last visit."""
    plan = plan_of(package, code)
    if plan is None or plan["kind"] != "MESSAGING":
        return None
    first, last = series.messaging_window(plan["count"], visit_days[-1])
    return {"from": first.isoformat(), "to": last.isoformat(), "count": plan["count"]}


# -- the clinic's consultation hours ---------------------------------------------------------------------


def hours_of(clinic: str) -> dict:
    """A clinic's consultation hours; 404 when it keeps none."""
    found = store.consultation_hours_of(clinic)
    if found is None:
        raise not_found("consultation hours", clinic)
    return found


def set_hours(clinic: str, body: dict, principal: Principal) -> dict:
    """Replace a clinic's consultation hours (its admins, or a platform admin). Calls already reserved keep
    their time; new ones are offered in the new hours."""
    if not principal.is_platform_admin and principal.clinic != clinic:
        raise Problem(403, "FORBIDDEN", "A clinic's admins set their own clinic's consultation hours only.")
    if not CLINIC_SLUG.match(clinic):
        raise validation_problem([{"field": "clinic", "message": "a clinic's slug"}])
    errors = [
        {"field": f"hours[{index}].to", "message": "must be after from"}
        for index, span in enumerate(body["hours"])
        if time.fromisoformat(span["from"]) >= time.fromisoformat(span["to"])
    ]
    if errors:
        raise validation_problem(errors)
    now = utcnow()
    before = store.consultation_hours_of(clinic)
    document = {
        "_id": clinic,
        "minutes": body["minutes"],
        "calls": body["calls"],
        "hours": body["hours"],
        "source": "admin",
        "created_at": before["created_at"] if before else now,
        "updated_at": now,
    }
    store.replace_consultation_hours(document)
    return document
