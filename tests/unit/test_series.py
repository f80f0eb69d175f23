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


def test_follow_ups_fall_two_to_four_weeks_after_the_last_visit_then_monthly():
    last = date(2027, 5, 10)
    assert series.follow_up_windows("IN_PERSON", 2, last, last) == [
        (date(2027, 5, 24), date(2027, 6, 7)),
        (date(2027, 6, 23), date(2027, 7, 7)),
    ]
    # A remote follow-up never falls before the day after the patient leaves.
    late = series.follow_up_windows("REMOTE_VIDEO", 2, last, date(2027, 6, 1))
    assert late == [(date(2027, 6, 2), date(2027, 6, 16)), (date(2027, 6, 23), date(2027, 7, 7))]
    assert series.messaging_window(6, last) == (date(2027, 5, 11), date(2027, 11, 4))  # 178 days on


def test_the_departure_is_the_trip_holding_the_last_visit_else_its_minimum_stay():
    visits = [date(2027, 5, 1), date(2027, 5, 10)]
    trips = [{"arrive": "2027-04-29", "depart": "2027-05-03"}, {"arrive": "2027-05-08", "depart": "2027-05-20"}]
    assert series.departure(visits, 5, trips) == date(2027, 5, 20)
    assert series.departure(visits, 5, None) == date(2027, 5, 15)
    assert series.in_a_trip(date(2027, 5, 20), trips) and not series.in_a_trip(date(2027, 5, 8), trips)


def test_an_in_person_follow_up_joins_the_trip_it_falls_in_or_makes_its_own():
    trips = series.trips([date(2027, 5, 1), date(2027, 5, 4)], 5)
    with_them = series.with_follow_ups(trips, [(1, date(2027, 5, 8)), (2, date(2027, 6, 1))])
    assert with_them == [
        {"arriveBy": "2027-04-30", "departFrom": "2027-05-09", "visits": [1, 2], "followUps": [1]},
        {"arriveBy": "2027-05-31", "departFrom": "2027-06-02", "visits": [], "followUps": [2]},
    ]
