"""The care plan: the dated plan a patient travels by, from a booking's own copy of its package.

Visits keep the first visit's Seoul wall-clock time, ``sessionIntervalDays`` apart. Every
moment is given in Seoul time and in the patient's home time, so a daylight-saving change
at home moves the home time, never the appointment.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

SEOUL = ZoneInfo("Asia/Seoul")
MORNING = time(9, 0)
FOLLOW_UP_FIRST_DAY = 14
FOLLOW_UP_EVERY_DAYS = 30


def _moment(at: datetime, home: ZoneInfo) -> dict:
    return {"seoul": at.astimezone(SEOUL).isoformat(), "home": at.astimezone(home).isoformat()}


def _title(code: str) -> str:
    return code.replace("_", " ").capitalize()


def build(booking: dict) -> dict:
    package = booking["package"]
    home = ZoneInfo(booking["patient"]["homeTimeZone"])
    schedule = package["schedule"]
    first = booking["slot_start"]
    first = (first if first.tzinfo else first.replace(tzinfo=timezone.utc)).astimezone(SEOUL)
    duration = timedelta(minutes=booking.get("slot_duration_minutes", 60))
    interval = package["sessionIntervalDays"]
    visits = [first + timedelta(days=interval * i) for i in range(schedule["visits"])]
    procedures_by_visit = [[item["procedure"] for item in package["items"] if item["sessions"] > i] for i in range(len(visits))]

    events: list[dict] = []

    def add(kind, code, title, detail, visit, start, end=None):
        events.append({"kind": kind, "code": code, "title": title, "detail": detail, "visit": visit,
                       "start": _moment(start, home), "end": _moment(end, home) if end else None, "_at": start})

    def morning(day) -> datetime:
        return datetime.combine(day, MORNING, SEOUL)

    for step in package["preparation"]:
        if step["daily"]:
            add("PREPARATION", step["code"], f"Every day: {step['instruction']}", None, None,
                morning(visits[0].date() - timedelta(days=step["daysBefore"])), visits[-1])
        elif step["code"] == "CONSULTATION":
            add("PREPARATION", step["code"], step["instruction"], None, 1, visits[0])
        else:
            for number, visit in enumerate(visits, start=1):
                add("PREPARATION", step["code"], step["instruction"], None, number,
                    morning(visit.date() - timedelta(days=step["daysBefore"])))
    total = len(visits)
    for number, (visit, codes) in enumerate(zip(visits, procedures_by_visit, strict=True), start=1):
        add("VISIT", "VISIT", f"Visit {number} of {total}: {', '.join(_title(c) for c in codes)}",
            package["title"], number, visit, visit + duration)
        for phase in package["recovery"]:
            if phase["phase"] == "LONG_TERM" and number != total:
                continue
            add("RECOVERY", phase["phase"], f"Recovery, {_title(phase['phase']).lower()} (days {phase['fromDay']}-{phase['toDay']})",
                phase["expectation"], number, morning(visit.date() + timedelta(days=phase["fromDay"])),
                morning(visit.date() + timedelta(days=phase["toDay"])))
    plan = next((p for p in package["followUpPlans"] if p["code"] == booking.get("follow_up_plan")), None)
    if plan:
        for index in range(plan["count"]):
            day = visits[-1].date() + timedelta(days=FOLLOW_UP_FIRST_DAY + FOLLOW_UP_EVERY_DAYS * index)
            add("FOLLOW_UP", plan["kind"], f"Follow-up {index + 1} of {plan['count']} ({_title(plan['kind']).lower()})",
                None, None, datetime.combine(day, time(10, 0), SEOUL))
    events.sort(key=lambda event: (event.pop("_at"), event["kind"] != "PREPARATION"))

    stay = schedule["minimumStayDays"]
    groups = [list(range(1, total + 1))] if schedule["tripsNeeded"] == 1 else [[n] for n in range(1, total + 1)]
    trips = [{"arriveBy": (visits[g[0] - 1].date() - timedelta(days=1)).isoformat(),
              "departFrom": (visits[g[-1] - 1].date() + timedelta(days=stay)).isoformat(), "visits": g} for g in groups]
    return {"reference": booking["reference"], "homeTimeZone": booking["patient"]["homeTimeZone"],
            "tripsNeeded": schedule["tripsNeeded"], "minimumStayDays": stay, "trips": trips, "events": events}


def to_ical(plan: dict, calendar_name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//ClinicBridge//Care plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", calendar_name)
    stamp = datetime.now(timezone.utc)
    for index, item in enumerate(plan["events"]):
        event = Event()
        event.add("uid", f"{plan['reference']}-{index}@clinicbridge")
        event.add("dtstamp", stamp)
        event.add("summary", item["title"])
        event.add("dtstart", datetime.fromisoformat(item["start"]["seoul"]).astimezone(timezone.utc))
        if item["end"]:
            event.add("dtend", datetime.fromisoformat(item["end"]["seoul"]).astimezone(timezone.utc))
        if item["detail"]:
            event.add("description", item["detail"])
        event.add("categories", [item["kind"]])
        calendar.add_component(event)
    return calendar.to_ical()
