"""The care plan is dated from the booking's own copy of its package, in Seoul and home time, in any language."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from services.bookings import careplan
from services.common import care
from services.common.clock import SEOUL
from services.packages.knowledge import knowledge_from_procedures
from services.packages.seed import catalogue_knowledge
from tests.support import care_plan_booking


def events(plan: dict, kind: str) -> list[dict]:
    return [event for event in plan["events"] if event["kind"] == kind]


def test_visits_keep_the_seoul_time_while_home_time_follows_daylight_saving():
    booking = care_plan_booking(first=datetime(2027, 3, 1, 10, 0, tzinfo=SEOUL), home="America/New_York")
    visits = events(careplan.build(booking, "en"), "VISIT")
    assert [v["start"]["seoul"] for v in visits] == [
        "2027-03-01T10:00:00+09:00",
        "2027-03-29T10:00:00+09:00",
        "2027-04-26T10:00:00+09:00",
    ]
    assert [v["start"]["home"] for v in visits] == [
        "2027-02-28T20:00:00-05:00",
        "2027-03-28T21:00:00-04:00",
        "2027-04-25T21:00:00-04:00",
    ]


def test_visit_titles_name_the_procedures_of_that_visit():
    booking = care_plan_booking(sessions={"TCA_CROSS": 1, "FRACTIONAL_CO2_LASER": 3})
    titles = [v["title"] for v in events(careplan.build(booking, "en"), "VISIT")]
    assert titles == [
        "Visit 1 of 3: TCA CROSS (chemical reconstruction), Fractional CO₂ laser",
        "Visit 2 of 3: Fractional CO₂ laser",
        "Visit 3 of 3: Fractional CO₂ laser",
    ]


def test_texts_come_in_the_language_asked_for_and_in_english_where_there_is_none():
    booking = care_plan_booking()
    japanese = careplan.build(booking, "ja")
    assert japanese["lang"] == "ja"
    assert (
        events(japanese, "VISIT")[0]["title"]
        == "3回中1回目の来院：TCA CROSS（ケミカル・リコンストラクション）、フラクショナルCO2レーザー"
    )
    assert events(japanese, "RECOVERY")[0]["detail"] == "直後の赤み（日本語）"
    french = careplan.build(booking, "fr")  # no translation at all: English throughout
    assert events(french, "VISIT")[0]["title"].startswith("Visit 1 of 3: TCA CROSS")
    assert events(french, "RECOVERY")[0]["detail"] == "Redness right after"


def test_daily_preparation_runs_until_the_last_visit_and_long_term_recovery_follows_the_last_one():
    plan = careplan.build(care_plan_booking(first=datetime(2027, 3, 1, 10, 0, tzinfo=SEOUL)), "en")
    sunscreen = next(e for e in plan["events"] if e["code"] == "DAILY_SUNSCREEN")
    assert sunscreen["title"] == "Every day: Sunscreen"
    assert (sunscreen["start"]["seoul"], sunscreen["end"]["seoul"]) == (
        "2027-02-15T09:00:00+09:00",
        "2027-04-26T10:00:00+09:00",
    )
    long_term = [e for e in events(plan, "RECOVERY") if e["code"] == "LONG_TERM"]
    assert [e["visit"] for e in long_term] == [3]


def test_follow_ups_start_two_weeks_after_the_last_visit_then_monthly():
    plan = careplan.build(care_plan_booking(first=datetime(2027, 3, 1, 10, 0, tzinfo=SEOUL), follow_up="VIDEO_3"), "en")
    follow_ups = events(plan, "FOLLOW_UP")
    assert [e["start"]["seoul"][:10] for e in follow_ups] == ["2027-05-10", "2027-06-09", "2027-07-09"]
    assert follow_ups[0]["title"] == "Follow-up 1 of 3 (remote video)"


def test_visits_further_apart_than_the_stay_are_one_trip_each():
    plan = careplan.build(care_plan_booking(first=datetime(2027, 3, 1, 10, 0, tzinfo=SEOUL)), "en")
    assert plan["tripsNeeded"] == 3
    assert plan["trips"][0] == {"arriveBy": "2027-02-28", "departFrom": "2027-03-06", "visits": [1], "followUps": []}


def test_the_calendar_holds_every_event_with_its_title():
    plan = careplan.build(care_plan_booking(), "ko")
    calendar = careplan.to_ical(plan).decode()
    assert calendar.count("BEGIN:VEVENT") == len(plan["events"])
    assert "X-WR-CALNAME:ClinicBridge 치료 일정" in calendar


PROCEDURES = {code: knowledge for code, knowledge in catalogue_knowledge().items() if knowledge["recovery"]}


@pytest.mark.parametrize("code", sorted(PROCEDURES))
def test_recovery_phases_leave_no_day_out_and_no_makeup_is_dated(code):
    known = knowledge_from_procedures([PROCEDURES[code]])
    booking = care_plan_booking(first=datetime(2027, 3, 1, 10, 0, tzinfo=SEOUL))
    booking["package"] |= {
        "recovery": care.recovery(known["recovery"], "en"),
        "aftercare": care.aftercare(known["aftercare"], "en"),
    }
    plan = careplan.build(booking, "en")
    last = [e for e in events(plan, "RECOVERY") if e["visit"] == 3]
    assert [e["code"] for e in last] == ["IMMEDIATE", "SHORT_TERM", "LONG_TERM"]
    assert last[0]["start"]["seoul"].startswith("2027-04-27")  # the day after the last visit (26 April)
    for earlier, later in zip(last, last[1:], strict=False):
        gap = date.fromisoformat(later["start"]["seoul"][:10]) - date.fromisoformat(earlier["end"]["seoul"][:10])
        assert gap == timedelta(days=1), (code, earlier, later)
    no_makeup = [e for e in events(plan, "AFTERCARE") if e["code"] == "NO_MAKEUP"]
    assert [(e["start"]["seoul"], e["end"]["seoul"]) for e in no_makeup][0] == (
        "2027-03-01T11:00:00+09:00",  # from the end of the visit
        "2027-03-03T10:00:00+09:00",  # for 48 hours
    )
    assert len(no_makeup) == 3


def test_the_trips_must_hold_every_visit_and_the_stay_after_it():
    from datetime import date

    from services.common.series import trip_breaks

    travel = [{"arrive": "2027-03-01", "depart": "2027-03-10"}, {"arrive": "2027-04-01", "depart": "2027-04-05"}]
    visits = [
        ("slotId", date(2027, 3, 2)),  # stays until 7 March: inside the first trip
        ("laterSlotIds[0]", date(2027, 4, 1)),  # the arrival day itself: too soon
        ("laterSlotIds[1]", date(2027, 4, 2)),  # needs until 7 April; the trip leaves on the 5th
    ]
    assert trip_breaks(visits, travel, 5) == [
        {"field": "laterSlotIds[0]", "message": "visit 2 on 2027-04-01 falls in no trip (after its arrival)"},
        {
            "field": "laterSlotIds[1]",
            "message": "visit 3 on 2027-04-02 needs a stay until 2027-04-07; its trip departs 2027-04-05",
        },
    ]
    assert trip_breaks(visits[:1], travel, 8) == []  # 2 March + 8 days = 10 March, the day it departs


def test_reserved_follow_ups_are_shown_at_their_time_in_seoul_and_across_a_daylight_saving_change_at_home():
    booking = care_plan_booking(first=datetime(2027, 1, 11, 10, 0, tzinfo=SEOUL), home="America/New_York")
    booking["follow_up_plan"] = "VIDEO_3"
    booking["follow_ups"] = [  # before and after New York's clocks spring forward (14 March 2027)
        {"number": n, "key": f"F{n}", "kind": "REMOTE_VIDEO", "start": start, "duration_minutes": 30, "status": status}
        for n, start, status in (
            (1, datetime(2027, 3, 8, 9, 0, tzinfo=SEOUL), "HELD"),
            (2, datetime(2027, 4, 7, 9, 0, tzinfo=SEOUL), "BOOKED"),
            (3, datetime(2027, 5, 7, 9, 0, tzinfo=SEOUL), "CANCELLED"),
        )
    ]
    shown = events(careplan.build(booking, "en"), "FOLLOW_UP")
    assert [(e["start"]["seoul"], e["start"]["home"], e["end"]["seoul"]) for e in shown] == [
        ("2027-03-08T09:00:00+09:00", "2027-03-07T19:00:00-05:00", "2027-03-08T09:30:00+09:00"),
        ("2027-04-07T09:00:00+09:00", "2027-04-06T20:00:00-04:00", "2027-04-07T09:30:00+09:00"),
    ]  # the cancelled one is gone
    assert [e["title"] for e in shown] == ["Follow-up 1 of 3 (remote video)", "Follow-up 2 of 3 (remote video)"]


def test_a_messaging_plan_is_one_window():
    booking = care_plan_booking(first=datetime(2027, 3, 1, 10, 0, tzinfo=SEOUL))
    booking["package"]["followUpPlans"] = [{"code": "CHAT_6", "kind": "MESSAGING", "count": 6, "priceKrw": 60_000}]
    booking["follow_up_plan"] = "CHAT_6"
    booking["messaging"] = {"from": "2027-04-27", "to": "2027-10-20", "count": 6}
    [shown] = events(careplan.build(booking, "ja"), "FOLLOW_UP")
    assert (shown["code"], shown["start"]["seoul"], shown["end"]["seoul"]) == (
        "MESSAGING",
        "2027-04-27T09:00:00+09:00",
        "2027-10-20T09:00:00+09:00",
    )
    assert shown["title"] == "メッセージ相談によるフォローアップ：この期間に最大6回"
