"""The care plan: the dated plan a patient travels by, from a booking's own copy of its package.

The visits are the booking's reserved visits, at their slots' times, grouped into trips by
the package's minimum stay (a booking that reserved its first visit only: the later ones at
the first visit's Seoul wall-clock time, ``sessionIntervalDays`` apart). Every moment is
given in Seoul time and in the patient's home time, so a daylight-saving change at home
moves the home time, never the appointment. Every text is in the language asked for: the
package's texts from the booking's copy of them, our wording from
``seed/texts/care-plan.json``, English where a text has no translation.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from services.common import series
from services.common.clock import SEOUL, aware, utcnow
from services.common.localization import Wording, localize

MORNING = time(9, 0)
FOLLOW_UP_FIRST_DAY = 14
FOLLOW_UP_EVERY_DAYS = 30
WORDING = Wording("care-plan")


def visit_procedures(package: dict) -> list[list[str]]:
    """The procedures of each visit, in order: visit k does those with at least k sessions."""
    return [
        [item["procedure"] for item in package["items"] if item["sessions"] > index]
        for index in range(package["schedule"]["visits"])
    ]


def _moment(at: datetime, home: ZoneInfo) -> dict:
    return {"seoul": at.astimezone(SEOUL).isoformat(), "home": at.astimezone(home).isoformat()}


class _Plan:
    """The care plan's events as they are added, each in Seoul and home time, in the language asked."""

    def __init__(self, booking: dict, lang: str):
        self.booking, self.lang = booking, lang
        self.package = booking["package"]
        self.texts = booking.get("package_texts") or {}
        self.home = ZoneInfo(booking["patient"]["homeTimeZone"])
        self.events: list[dict] = []

    def text(self, group: str, code: str, english: str | None) -> str | None:
        return localize(self.texts.get(group, {}).get(code), self.lang) or english

    def add(self, kind, code, title, detail, visit, start, end=None) -> None:
        self.events.append(
            {
                "kind": kind,
                "code": code,
                "title": title,
                "detail": detail,
                "visit": visit,
                "start": _moment(start, self.home),
                "end": _moment(end, self.home) if end else None,
                "_at": start,
            }
        )


def _morning(day) -> datetime:
    return datetime.combine(day, MORNING, SEOUL)


def _visit_times(booking: dict) -> tuple[list[datetime], list[timedelta]]:
    """Each visit's start in Seoul and its duration: the reserved slots, or for a booking of its first
    visit only, the later ones at the package's interval, at its time of day."""
    package, reserved = booking["package"], booking["visits"]
    schedule = package["schedule"]
    if len(reserved) == schedule["visits"]:  # every visit has its seat: the plan follows the reserved slots
        visits = [aware(visit["start"]).astimezone(SEOUL) for visit in reserved]
        return visits, [timedelta(minutes=visit["duration_minutes"]) for visit in reserved]
    first = aware(booking["slot_start"]).astimezone(SEOUL)
    duration = timedelta(minutes=booking.get("slot_duration_minutes", 60))
    days = series.at_interval(first.date(), schedule["visits"], package["sessionIntervalDays"])
    visits = [datetime.combine(day, first.timetz()) for day in days]
    return visits, [duration] * len(visits)


def _preparation(plan: _Plan, visits: list[datetime]) -> None:
    for step in plan.package["preparation"]:
        instruction = plan.text("preparation", step["code"], step["instruction"])
        if step["daily"]:
            title = WORDING("DAILY", plan.lang, instruction=instruction)
            start = _morning(visits[0].date() - timedelta(days=step["daysBefore"]))
            plan.add("PREPARATION", step["code"], title, None, None, start, visits[-1])
        elif step["code"] == "CONSULTATION":
            plan.add("PREPARATION", step["code"], instruction, None, 1, visits[0])
        else:
            for number, visit in enumerate(visits, start=1):
                start = _morning(visit.date() - timedelta(days=step["daysBefore"]))
                plan.add("PREPARATION", step["code"], instruction, None, number, start)


def _visits(plan: _Plan, visits: list[datetime], durations: list[timedelta]) -> None:
    """Each visit, the aftercare after it and the recovery phases from it (the long term after the last)."""
    package, lang, total = plan.package, plan.lang, len(visits)
    names = {
        item["procedure"]: plan.text("procedures", item["procedure"], item.get("name") or item["procedure"])
        for item in package["items"]
    }
    package_title = localize(plan.texts.get("title"), lang) or package["title"]
    procedures_by_visit = visit_procedures(package)[:total]
    tentative = {visit["number"] for visit in plan.booking["visits"] if visit.get("status") == "CHANGE_PROPOSED"}
    for number, (visit, codes, duration) in enumerate(zip(visits, procedures_by_visit, durations, strict=True), 1):
        procedures = WORDING.join((names[code] for code in codes), lang)
        title = WORDING("VISIT", lang, number=number, total=total, procedures=procedures)
        plan.add("VISIT", "VISIT", title, package_title, number, visit, visit + duration)
        if number in tentative:  # the clinic withdrew its slot: shown until the agency accepts or declines
            plan.events[-1]["tentative"] = True
        for step in package.get("aftercare", []):  # from the end of the visit, for some hours
            instruction = plan.text("aftercare", step["code"], step["instruction"])
            plan.add(
                "AFTERCARE",
                step["code"],
                instruction,
                None,
                number,
                visit + duration,
                visit + timedelta(hours=step["hours"]),
            )
        for phase in package["recovery"]:
            if phase["phase"] == "LONG_TERM" and number != total:
                continue
            title = WORDING(
                "RECOVERY",
                lang,
                phase=WORDING(f"PHASE.{phase['phase']}", lang),
                **{"from": phase["fromDay"], "to": phase["toDay"]},
            )
            expectation = plan.text("recovery", phase["phase"], phase["expectation"])
            start, end = (_morning(visit.date() + timedelta(days=phase[key])) for key in ("fromDay", "toDay"))
            plan.add("RECOVERY", phase["phase"], title, expectation, number, start, end)


def _follow_ups(plan: _Plan, visits: list[datetime]) -> None:
    """The follow-ups reserved, or the messaging window; for a booking made before follow-ups were
    reserved, their days at the plan's cadence."""
    booking, lang = plan.booking, plan.lang
    chosen = next((p for p in plan.package["followUpPlans"] if p["code"] == booking.get("follow_up_plan")), None)
    if chosen is None:
        return
    reserved, messaging = booking.get("follow_ups") or [], booking.get("messaging")
    kind = WORDING(f"FOLLOW_UP_KIND.{chosen['kind']}", lang)
    if not (reserved or messaging):
        for index in range(chosen["count"]):
            day = visits[-1].date() + timedelta(days=FOLLOW_UP_FIRST_DAY + FOLLOW_UP_EVERY_DAYS * index)
            title = WORDING("FOLLOW_UP", lang, number=index + 1, count=chosen["count"], kind=kind)
            plan.add("FOLLOW_UP", chosen["kind"], title, None, None, datetime.combine(day, time(10, 0), SEOUL))
        return
    for follow in reserved:
        if follow["status"] == "CANCELLED":
            continue
        start = aware(follow["start"]).astimezone(SEOUL)
        title = WORDING("FOLLOW_UP", lang, number=follow["number"], count=chosen["count"], kind=kind)
        plan.add(
            "FOLLOW_UP", follow["kind"], title, None, None, start, start + timedelta(minutes=follow["duration_minutes"])
        )
    if messaging:
        first, last = (datetime.fromisoformat(messaging[end]).date() for end in ("from", "to"))
        title = WORDING("FOLLOW_UP_WINDOW", lang, count=messaging["count"], kind=kind)
        plan.add("FOLLOW_UP", chosen["kind"], title, None, None, _morning(first), _morning(last))


def build(booking: dict, lang: str) -> dict:
    """The booking's care plan in ``lang``: its dated events, in order, and the trips they make."""
    plan = _Plan(booking, lang)
    visits, durations = _visit_times(booking)
    _preparation(plan, visits)
    _visits(plan, visits, durations)
    _follow_ups(plan, visits)
    events = sorted(plan.events, key=lambda event: (event["_at"], event["kind"] != "PREPARATION"))
    for event in events:
        del event["_at"]
    stay = booking["package"]["schedule"]["minimumStayDays"]
    in_person = [
        (follow["number"], aware(follow["start"]).astimezone(SEOUL).date())
        for follow in booking.get("follow_ups") or []
        if follow["kind"] == "IN_PERSON" and follow["status"] != "CANCELLED"
    ]
    journeys = series.with_follow_ups(series.trips([visit.date() for visit in visits], stay), in_person)
    return {
        "reference": booking["reference"],
        "lang": lang,
        "homeTimeZone": booking["patient"]["homeTimeZone"],
        "tripsNeeded": len(journeys),
        "minimumStayDays": stay,
        "trips": journeys,
        "events": events,
    }


def to_ical(plan: dict) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//ClinicBridge//Care plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", WORDING("CALENDAR", plan["lang"], reference=plan["reference"]))
    stamp = utcnow()
    for index, item in enumerate(plan["events"]):
        event = Event()
        event.add("uid", f"{plan['reference']}-{index}@clinicbridge")
        event.add("dtstamp", stamp)
        event.add("summary", item["title"])
        event.add("dtstart", datetime.fromisoformat(item["start"]["seoul"]).astimezone(UTC))
        if item["end"]:
            event.add("dtend", datetime.fromisoformat(item["end"]["seoul"]).astimezone(UTC))
        if item["detail"]:
            event.add("description", item["detail"])
        event.add("categories", [item["kind"]])
        if item.get("tentative"):
            event.add("status", "TENTATIVE")
        calendar.add_component(event)
    return calendar.to_ical()
