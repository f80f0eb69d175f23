"""A series of visits, decided in one place: windows, gaps, moves, trips and the longest trip fitted."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from services.common import series
from services.common.series import Window


def test_a_window_runs_from_the_earliest_to_the_latest_day_after_a_visit():
    window = Window.of({"minDays": 28, "maxDays": 42})
    assert window.after(date(2027, 2, 1)) == (date(2027, 3, 1), date(2027, 3, 15))
    assert series.visit_window(35, (28, 42)) == Window(28, 42)
    assert series.visit_window(50, (28, 42)) == Window(28, 50)  # widened to hold the clinic's own interval
    assert series.visit_window(30, (42, 28)) == Window(30, 30)  # procedures that disagree: just the interval


def test_gaps_and_moves_are_refused_by_the_visit_they_break():
    window = Window(28, 42)
    days = [
        ("slotId", date(2027, 3, 1)),
        ("laterSlotIds[0]", date(2027, 3, 21)),
        ("laterSlotIds[1]", date(2027, 4, 20)),
    ]
    assert series.gap_breaks(days, window) == [
        {"field": "laterSlotIds[0]", "message": "20 days after the visit before; 28 to 42 allowed"},
    ]
    visits = [date(2027, 3, 1), date(2027, 3, 31), date(2027, 5, 5)]
    assert series.move_breaks(visits, 2, date(2027, 3, 21), window) == [
        "20 days after visit 1; 28 to 42 allowed",
        "45 days before visit 3; 28 to 42 allowed",
    ]
    assert series.move_breaks(visits, 2, date(2027, 4, 2), window) == []


def test_a_package_counts_its_trips_as_a_booking_at_its_interval_would_make_them():
    for visits, interval, stay in ((3, 28, 5), (4, 3, 5), (2, 5, 5), (1, 30, 7), (5, 6, 5)):
        days = series.at_interval(date(2027, 3, 1), visits, interval)
        assert series.schedule(visits, interval, stay)["tripsNeeded"] == len(series.trips(days, stay))
    assert series.schedule(4, 3, 5)["tripsNeeded"] == 1 and series.schedule(3, 28, 5)["tripsNeeded"] == 3


def test_a_trip_to_fit_is_at_most_sixty_days():
    assert series.trip_length_error(date(2027, 3, 1), date(2027, 4, 30)) is None
    assert series.trip_length_error(date(2027, 3, 1), date(2027, 5, 1)) == "after arrive, and at most 60 days after it"
    assert series.trip_length_error(date(2027, 3, 1), date(2027, 3, 1)) is not None


def test_an_interpreter_works_a_visit_only_inside_her_hours_on_its_seoul_day():
    from datetime import datetime

    from services.bookings.interpreters import time_units, works
    from services.common.clock import SEOUL

    monday = {"hours": [{"weekday": "MON", "from": "09:00", "to": "18:00"}]}
    at = datetime(2027, 3, 1, 17, 0, tzinfo=SEOUL)  # a Monday
    assert works(monday, at, at.replace(hour=18))
    assert not works(monday, at, at.replace(hour=18, minute=30))
    late = datetime(2027, 3, 1, 23, 0, tzinfo=SEOUL)
    assert not works(monday, late, datetime(2027, 3, 2, 0, 0, tzinfo=SEOUL))  # ending at midnight is not inside
    # Half hours counted in Seoul time, whatever zone the start is read in.
    assert time_units("x", at, 60, 30) == time_units("x", at.astimezone(ZoneInfo("Asia/Kathmandu")), 60, 30)
    assert time_units("x", at, 60, 30) == [
        "time|x|2027-03-01T17:00:00+09:00",
        "time|x|2027-03-01T17:30:00+09:00",
        "time|x|2027-03-01T18:00:00+09:00",
    ]
