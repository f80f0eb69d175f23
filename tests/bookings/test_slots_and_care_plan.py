"""Slots and availability in Seoul time; the care plan across a daylight-saving change at home."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from services.common.clock import seoul_today
from services.common.validation import validator
from tests.support import (
    ICEPICK,
    ORACLE,
    PATIENT,
    in_days,
    next_clock_change_at_home,
    seoul,
    seoul_day,
    within_notice,
)


def test_slots_open_in_bulk_from_a_rule_and_never_twice(client, bearer):
    admin = bearer("CLINIC_ADMIN", clinic=ORACLE)
    today = seoul_today()
    monday = today + timedelta(days=14 - today.weekday())
    rule = {
        "clinic": ORACLE,
        "from": monday.isoformat(),
        "to": (monday + timedelta(days=13)).isoformat(),
        "weekdays": ["MON", "WED"],
        "times": ["10:00", "15:30"],
        "capacity": 4,
    }
    first = client.post("/slots/bulk", json=rule, headers=admin)
    assert first.status_code == 201 and first.json["created"] == 8
    assert {s["start"][11:] for s in first.json["items"]} == {"10:00:00+09:00", "15:30:00+09:00"}
    again = client.post("/slots/bulk", json=rule, headers=admin)
    assert (again.json["created"], again.json["skipped"]) == (0, 8)
    other = client.post("/slots/bulk", json=rule, headers=bearer("CLINIC_ADMIN", clinic="id-dermatology"))
    assert other.status_code == 403
    too_many = client.post(
        "/slots/bulk",
        json={
            **rule,
            "to": (monday + timedelta(days=3000)).isoformat(),
            "weekdays": ["MON", "TUE", "WED", "THU", "FRI"],
        },
        headers=admin,
    )
    assert too_many.status_code == 400


def test_availability_lists_future_free_slots_for_the_package_and_the_clinic(client, bearer, open_slot, book):
    clinic_wide = open_slot(in_days(10, "10:00"))
    for_package = open_slot(in_days(10, "14:00"), package_id=ICEPICK)
    other_package = open_slot(in_days(10, "16:00"), package_id="0123456789abcdef01234567")
    full = open_slot(in_days(11), capacity=1)
    book(full)
    too_soon = open_slot(within_notice())
    closed = open_slot(in_days(12))
    client.post(f"/slots/{closed['id']}/close", headers=bearer("CLINIC_ADMIN", clinic=ORACLE))
    window = f"from={seoul_day(-1)}&to={seoul_day(30)}"
    found = client.get(f"/availability?clinic={ORACLE}&packageId={ICEPICK}&{window}").json["items"]
    assert [s["id"] for s in found] == [clinic_wide["id"], for_package["id"]]
    assert all(s["status"] == "FREE" and s["start"].endswith("+09:00") for s in found)
    assert other_package["id"] not in {
        s["id"] for s in client.get(f"/availability?clinic={ORACLE}&{window}").json["items"]
    }
    assert too_soon["id"] not in {s["id"] for s in found}


def test_care_plan_dates_cross_a_daylight_saving_change_at_home(
    bookings, client, bearer, agency, open_slot, book, new_quote
):
    # Three visits 28 days apart, the first two weeks before New York's clocks next change (in March
    # or November, whichever comes first from the day the suite runs): the home times change offset.
    new_york = ZoneInfo("America/New_York")
    change = next_clock_change_at_home(new_york, seoul_today() + timedelta(days=16))
    days = [change - timedelta(days=14) + timedelta(days=28 * n) for n in range(3)]
    first, *later = (seoul(day.isoformat(), "10:00") for day in days)
    slot = open_slot(first)
    for start in later:  # the earliest slots inside the window: the visits booked
        open_slot(start)
    booking = book(
        slot, new_quote(followUpPlan="VIDEO_3"), patient={**PATIENT, "homeTimeZone": "America/New_York"}
    ).json
    plan = client.get(f"/bookings/{booking['reference']}/care-plan", headers=agency)
    assert plan.status_code == 200
    assert not list(validator("bookings/care-plan").iter_errors(plan.json))
    visits = [e for e in plan.json["events"] if e["kind"] == "VISIT"]
    assert [v["start"]["seoul"] for v in visits] == [seoul(day.isoformat(), "10:00").isoformat() for day in days]
    home = [datetime.fromisoformat(v["start"]["home"]) for v in visits]
    assert home == [first, *later]  # the same moments...
    assert [h.utcoffset() for h in home] == [new_york.utcoffset(h.replace(tzinfo=None)) for h in home]
    assert home[0].utcoffset() != home[1].utcoffset() == home[2].utcoffset()  # ...in New York's time of each day
    assert visits[0]["title"] == "Visit 1 of 3: TCA CROSS (chemical reconstruction), Fractional CO₂ laser"
    stop_retinoids = [e["start"]["seoul"] for e in plan.json["events"] if e["code"] == "STOP_RETINOIDS"]
    assert stop_retinoids == [seoul((day - timedelta(days=5)).isoformat(), "09:00").isoformat() for day in days]
    sunscreen = next(e for e in plan.json["events"] if e["code"] == "DAILY_SUNSCREEN")
    assert sunscreen["start"]["seoul"] == seoul((days[0] - timedelta(days=14)).isoformat(), "09:00").isoformat()
    assert [e["code"] for e in plan.json["events"] if e["kind"] == "RECOVERY"].count("LONG_TERM") == 1
    follow_ups = [e["start"]["seoul"][:10] for e in plan.json["events"] if e["kind"] == "FOLLOW_UP"]
    assert follow_ups == [(days[-1] + timedelta(days=n)).isoformat() for n in (14, 44, 74)]
    # 28 days apart with a 5-day minimum stay: a trip per visit.
    assert plan.json["tripsNeeded"] == 3 and plan.json["minimumStayDays"] == 5
    assert plan.json["trips"][0] == {
        "arriveBy": (days[0] - timedelta(days=1)).isoformat(),
        "departFrom": (days[0] + timedelta(days=5)).isoformat(),
        "visits": [1],
        "followUps": [],  # the video follow-ups need no trip
    }

    ics = client.get(f"/bookings/{booking['reference']}/care-plan.ics", headers=agency)
    assert ics.mimetype == "text/calendar"
    calendar = Calendar.from_ical(ics.data)
    events = calendar.walk("VEVENT")
    assert len(events) == len(plan.json["events"])
    first_visit = next(e for e in events if str(e["summary"]).startswith("Visit 1"))
    assert first_visit.decoded("dtstart").isoformat() == first.astimezone(UTC).isoformat()
    by_accept = client.get(f"/bookings/{booking['reference']}/care-plan", headers={**agency, "Accept": "text/calendar"})
    assert by_accept.mimetype == "text/calendar"
    assert (
        client.get(f"/bookings/{booking['reference']}/care-plan", headers=bearer("AGENCY", agency="other")).status_code
        == 404
    )
