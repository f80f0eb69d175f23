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


def build(booking: dict, lang: str) -> dict:
    package = booking["package"]
    texts = booking.get("package_texts") or {}

    def text(group: str, code: str, english: str | None) -> str | None:
        return localize(texts.get(group, {}).get(code), lang) or english

    names = {
        item["procedure"]: text("procedures", item["procedure"], item.get("name") or item["procedure"])
        for item in package["items"]
    }
    home = ZoneInfo(booking["patient"]["homeTimeZone"])
    schedule = package["schedule"]
    first = booking["slot_start"]
    first = aware(first).astimezone(SEOUL)
    duration = timedelta(minutes=booking.get("slot_duration_minutes", 60))
    reserved = booking["visits"]
    if len(reserved) == schedule["visits"]:  # every visit has its seat: the plan follows the reserved slots
        visits = [aware(visit["start"]).astimezone(SEOUL) for visit in reserved]
        durations = [timedelta(minutes=visit["duration_minutes"]) for visit in reserved]
    else:  # a booking of its first visit only: the later ones at the package's interval, at its time of day
        days = series.at_interval(first.date(), schedule["visits"], package["sessionIntervalDays"])
        visits = [datetime.combine(day, first.timetz()) for day in days]
        durations = [duration] * len(visits)
    procedures_by_visit = visit_procedures(package)[: len(visits)]

    events: list[dict] = []

    def add(kind, code, title, detail, visit, start, end=None):
        events.append(
            {
                "kind": kind,
                "code": code,
                "title": title,
                "detail": detail,
                "visit": visit,
                "start": _moment(start, home),
                "end": _moment(end, home) if end else None,
                "_at": start,
            }
        )

    def morning(day) -> datetime:
        return datetime.combine(day, MORNING, SEOUL)

    for step in package["preparation"]:
        instruction = text("preparation", step["code"], step["instruction"])
        if step["daily"]:
            add(
                "PREPARATION",
                step["code"],
                WORDING("DAILY", lang, instruction=instruction),
                None,
                None,
                morning(visits[0].date() - timedelta(days=step["daysBefore"])),
                visits[-1],
            )
        elif step["code"] == "CONSULTATION":
            add("PREPARATION", step["code"], instruction, None, 1, visits[0])
        else:
            for number, visit in enumerate(visits, start=1):
                add(
                    "PREPARATION",
                    step["code"],
                    instruction,
                    None,
                    number,
                    morning(visit.date() - timedelta(days=step["daysBefore"])),
                )
    total = len(visits)
    package_title = localize(texts.get("title"), lang) or package["title"]
    tentative = {visit["number"] for visit in reserved if visit.get("status") == "CHANGE_PROPOSED"}
    for number, (visit, codes, duration) in enumerate(zip(visits, procedures_by_visit, durations, strict=True), 1):
        procedures = WORDING.join((names[code] for code in codes), lang)
        add(
            "VISIT",
            "VISIT",
            WORDING("VISIT", lang, number=number, total=total, procedures=procedures),
            package_title,
            number,
            visit,
            visit + duration,
        )
        if number in tentative:  # the clinic withdrew its slot: shown until the agency accepts or declines
            events[-1]["tentative"] = True
        for step in package.get("aftercare", []):  # from the end of the visit, for some hours
            add(
                "AFTERCARE",
                step["code"],
                text("aftercare", step["code"], step["instruction"]),
                None,
                number,
                visit + duration,
                visit + timedelta(hours=step["hours"]),
            )
        for phase in package["recovery"]:
            if phase["phase"] == "LONG_TERM" and number != total:
                continue
            add(
                "RECOVERY",
                phase["phase"],
                WORDING(
                    "RECOVERY",
                    lang,
                    phase=WORDING(f"PHASE.{phase['phase']}", lang),
                    **{"from": phase["fromDay"], "to": phase["toDay"]},
                ),
                text("recovery", phase["phase"], phase["expectation"]),
                number,
                morning(visit.date() + timedelta(days=phase["fromDay"])),
                morning(visit.date() + timedelta(days=phase["toDay"])),
            )
    plan = next((p for p in package["followUpPlans"] if p["code"] == booking.get("follow_up_plan")), None)
    reserved_follow_ups = booking.get("follow_ups") or []
    messaging = booking.get("messaging")
    if plan and (reserved_follow_ups or messaging):  # appointments reserved, or a dated messaging window
        kind = WORDING(f"FOLLOW_UP_KIND.{plan['kind']}", lang)
        for follow in reserved_follow_ups:
            if follow["status"] == "CANCELLED":
                continue
            start = aware(follow["start"]).astimezone(SEOUL)
            title = WORDING("FOLLOW_UP", lang, number=follow["number"], count=plan["count"], kind=kind)
            end = start + timedelta(minutes=follow["duration_minutes"])
            add("FOLLOW_UP", follow["kind"], title, None, None, start, end)
        if messaging:
            first, last = (datetime.fromisoformat(messaging[end]).date() for end in ("from", "to"))
            title = WORDING("FOLLOW_UP_WINDOW", lang, count=messaging["count"], kind=kind)
            add("FOLLOW_UP", plan["kind"], title, None, None, morning(first), morning(last))
    elif plan:  # a booking made before follow-ups were reserved: their days at the plan's cadence
        for index in range(plan["count"]):
            day = visits[-1].date() + timedelta(days=FOLLOW_UP_FIRST_DAY + FOLLOW_UP_EVERY_DAYS * index)
            add(
                "FOLLOW_UP",
                plan["kind"],
                WORDING(
                    "FOLLOW_UP",
                    lang,
                    number=index + 1,
                    count=plan["count"],
                    kind=WORDING(f"FOLLOW_UP_KIND.{plan['kind']}", lang),
                ),
                None,
                None,
                datetime.combine(day, time(10, 0), SEOUL),
            )
    events.sort(key=lambda event: (event.pop("_at"), event["kind"] != "PREPARATION"))

    stay = schedule["minimumStayDays"]
    in_person = [
        (follow["number"], aware(follow["start"]).astimezone(SEOUL).date())
        for follow in reserved_follow_ups
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
