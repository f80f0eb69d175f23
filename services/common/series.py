"""A treatment's series of visits: when each next visit may be, the trips the visits make, and
whether the patient's own trips hold them.

One home for these rules. The packages service describes a package's schedule and window by
them; the bookings service proposes later visits, checks a series at booking and at checkout,
moves a visit, dates the care plan and fits packages into a trip by them. Days are Seoul
calendar dates; a window is ``(min_days, max_days)`` after the visit before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import NamedTuple

MAX_TRIP_DAYS = 60  # the longest trip a fit is asked for: its cost is one index key per offer and day


class Window(NamedTuple):
    """How many Seoul days after a visit the next one may be."""

    min_days: int
    max_days: int

    @classmethod
    def of(cls, wire: dict) -> Window:
        """A window as the packages service serves it (``visitWindow``)."""
        return cls(wire["minDays"], wire["maxDays"])

    def after(self, day: date) -> tuple[date, date]:
        """The first and last Seoul day the visit after one on ``day`` may take."""
        return day + timedelta(days=self.min_days), day + timedelta(days=self.max_days)

    def holds(self, gap_days: int) -> bool:
        return self.min_days <= gap_days <= self.max_days

    def allowed(self) -> str:
        return f"{self.min_days} to {self.max_days} allowed"


def visit_window(interval_days: int, interval_range: tuple[int, int] | None) -> Window:
    """The window a package's procedures allow: the range that suits every procedure, widened to hold
    the package's own interval (the clinic's choice); just that interval when the procedures give no
    range or disagree."""
    low, high = (
        interval_range if interval_range and interval_range[0] <= interval_range[1] else (interval_days, interval_days)
    )
    return Window(min(low, interval_days), max(high, interval_days))


def gap_breaks(days: Sequence[tuple[str | None, date]], window: Window) -> list[dict]:
    """One error per visit (input field, Seoul day; in order) that is not inside the window after the
    visit before it."""
    errors = []
    for (_, before), (field, day) in zip(days, days[1:], strict=False):
        gap = (day - before).days
        if not window.holds(gap):
            errors.append({"field": field, "message": f"{gap} days after the visit before; {window.allowed()}"})
    return errors


def move_breaks(days: list[date], number: int, day: date, window: Window) -> list[str]:
    """What moving visit ``number`` (from 1) of a series on ``days`` to ``day`` would break: its
    distance from the visit before and from the visit after must stay inside the window."""
    broken = []
    if number > 1 and not window.holds(gap := (day - days[number - 2]).days):
        broken.append(f"{gap} days after visit {number - 1}; {window.allowed()}")
    if number < len(days) and not window.holds(gap := (days[number] - day).days):
        broken.append(f"{gap} days before visit {number + 1}; {window.allowed()}")
    return broken


def move_range(days: list[date], number: int, window: Window, reach_days: int = 14) -> tuple[date, date]:
    """The Seoul days visit ``number`` (from 1) of a series on ``days`` may move to and keep ``move_breaks``
    true: inside the window after the visit before it and before the visit after it (``reach_days`` either
    side of its own day where it has no such neighbour). Empty (first after last) when none is."""
    day = days[number - 1]
    first, last = day - timedelta(days=reach_days), day + timedelta(days=reach_days)
    if number > 1:
        first, last = window.after(days[number - 2])
    if number < len(days):
        after = days[number]
        low, high = after - timedelta(days=window.max_days), after - timedelta(days=window.min_days)
        first, last = (max(first, low), min(last, high)) if number > 1 else (low, high)
    return first, last


def trips(days: list[date], stay_days: int) -> list[dict]:
    """Visits (their Seoul days, in order) grouped into trips: a visit within the minimum stay of the
    one before shares its trip. Each trip says when to arrive and the earliest day to leave."""
    groups: list[list[int]] = []
    for number, day in enumerate(days, start=1):
        if groups and (day - days[groups[-1][-1] - 1]).days <= stay_days:
            groups[-1].append(number)
        else:
            groups.append([number])
    return [
        {
            "arriveBy": (days[group[0] - 1] - timedelta(days=1)).isoformat(),
            "departFrom": (days[group[-1] - 1] + timedelta(days=stay_days)).isoformat(),
            "visits": group,
        }
        for group in groups
    ]


def at_interval(first: date, visits: int, interval_days: int) -> list[date]:
    """The Seoul days of ``visits`` visits ``interval_days`` apart from ``first``."""
    return [first + timedelta(days=interval_days * number) for number in range(visits)]


def schedule(visits: int, interval_days: int, minimum_stay_days: int) -> dict:
    """A package's schedule: its visits at its own interval, and the trips they make by the same
    grouping a booking's reserved visits are put in."""
    days = at_interval(date(2000, 1, 1), visits, interval_days)
    return {
        "visits": visits,
        "intervalDays": interval_days,
        "tripsNeeded": len(trips(days, minimum_stay_days)),
        "minimumStayDays": minimum_stay_days,
        "totalDays": (visits - 1) * interval_days + minimum_stay_days if visits else 0,
    }


def trip_breaks(visits: Sequence[tuple[str | None, date]], travel: list[dict], stay_days: int) -> list[dict]:
    """Which visits (input field, Seoul day; numbered from 1 in order) the patient's trips do not
    hold: a visit must fall inside a trip, after its arrival day, with ``stay_days`` after it before
    the trip's departure. One error per visit that breaks the rule, naming its field."""
    spans = [(date.fromisoformat(t["arrive"]), date.fromisoformat(t["depart"])) for t in travel]
    errors = []
    for number, (field, day) in enumerate(visits, start=1):
        inside = [(arrive, depart) for arrive, depart in spans if arrive < day <= depart]
        stay_until = day + timedelta(days=stay_days)
        if not inside:
            errors.append({"field": field, "message": f"visit {number} on {day} falls in no trip (after its arrival)"})
        elif all(depart < stay_until for _, depart in inside):
            depart = max(depart for _, depart in inside)
            errors.append(
                {
                    "field": field,
                    "message": f"visit {number} on {day} needs a stay until {stay_until}; its trip departs {depart}",
                }
            )
    return errors


def trip_length_error(arrive: date, depart: date) -> str | None:
    """Why a trip cannot be fitted, if it cannot: it must end after it starts, within ``MAX_TRIP_DAYS``."""
    if 0 < (depart - arrive).days <= MAX_TRIP_DAYS:
        return None
    return f"after arrive, and at most {MAX_TRIP_DAYS} days after it"


# -- follow-ups: appointments after the last visit ----------------------------------------------------

FOLLOW_UP_FIRST_DAYS = 14  # the first follow-up: two to four weeks after the last visit
FOLLOW_UP_SPAN_DAYS = 14  # how many days after its first day a follow-up may still be
FOLLOW_UP_EVERY_DAYS = 30  # each next follow-up's window starts a month after the one before


def departure(visits: list[date], stay_days: int, travel: list[dict] | None) -> date:
    """The day the patient leaves after the last visit: the departure of the trip that holds it when
    the patient's trips are given, else the last visit's minimum stay later."""
    last = visits[-1]
    if travel:
        holding = [
            date.fromisoformat(t["depart"])
            for t in travel
            if date.fromisoformat(t["arrive"]) < last <= date.fromisoformat(t["depart"])
        ]
        if holding:
            return max(holding)
    return last + timedelta(days=stay_days)


def follow_up_windows(kind: str, count: int, last_visit: date, departure_day: date) -> list[tuple[date, date]]:
    """Each follow-up's first and last Seoul day: the first two to four weeks after the last visit, each
    next one a month later. A remote follow-up is never before the day after the patient's departure."""
    windows = []
    for index in range(count):
        first = last_visit + timedelta(days=FOLLOW_UP_FIRST_DAYS + FOLLOW_UP_EVERY_DAYS * index)
        if kind == "REMOTE_VIDEO":
            first = max(first, departure_day + timedelta(days=1))
        windows.append((first, first + timedelta(days=FOLLOW_UP_SPAN_DAYS)))
    return windows


def messaging_window(count: int, last_visit: date) -> tuple[date, date]:
    """A messaging plan's dated window: from the day after the last visit to the end of the span dated
    follow-ups of the same count would cover."""
    last = last_visit + timedelta(days=FOLLOW_UP_FIRST_DAYS + FOLLOW_UP_EVERY_DAYS * max(count - 1, 0))
    return last_visit + timedelta(days=1), last + timedelta(days=FOLLOW_UP_SPAN_DAYS)


def in_a_trip(day: date, travel: list[dict]) -> bool:
    """Whether the patient is in Korea on ``day`` (after a trip's arrival day, by its departure)."""
    return any(date.fromisoformat(t["arrive"]) < day <= date.fromisoformat(t["depart"]) for t in travel)


def with_follow_ups(journeys: list[dict], follow_ups: list[tuple[int, date]]) -> list[dict]:
    """The visits' trips with the in-person follow-ups (number, Seoul day) each falls in, and a trip of its own,
    a day long, for one that falls in none."""
    trips = [{**trip, "followUps": []} for trip in journeys]
    for number, day in follow_ups:
        holding = next(
            (t for t in trips if date.fromisoformat(t["arriveBy"]) < day <= date.fromisoformat(t["departFrom"])), None
        )
        if holding is None:
            holding = {
                "arriveBy": (day - timedelta(days=1)).isoformat(),
                "departFrom": (day + timedelta(days=1)).isoformat(),
                "visits": [],
                "followUps": [],
            }
            trips.append(holding)
        holding["followUps"].append(number)
    return sorted(trips, key=lambda trip: trip["arriveBy"])
