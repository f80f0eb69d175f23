"""Slots and availability in Seoul time; the care plan across a daylight-saving change at home."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from services.common.clock import seoul_today
from services.common.validation import validator
from tests.support import ICEPICK, ORACLE, PATIENT, in_days, seoul, seoul_day, within_notice


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
    # Three visits 28 days apart from 1 March 2027: New York moves to daylight time on 14 March.
    first = seoul("2027-03-01", "10:00")
    slot = open_slot(first)
    for day in ("2027-03-29", "2027-04-26"):  # the earliest slots inside the window: the visits booked
        open_slot(seoul(day, "10:00"))
    booking = book(
        slot, new_quote(followUpPlan="VIDEO_3"), patient={**PATIENT, "homeTimeZone": "America/New_York"}
    ).json
    plan = client.get(f"/bookings/{booking['reference']}/care-plan", headers=agency)
    assert plan.status_code == 200
    assert not list(validator("bookings/care-plan").iter_errors(plan.json))
    visits = [e for e in plan.json["events"] if e["kind"] == "VISIT"]
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
    assert visits[0]["title"] == "Visit 1 of 3: TCA CROSS (chemical reconstruction), Fractional CO₂ laser"
    stop_retinoids = [e["start"]["seoul"] for e in plan.json["events"] if e["code"] == "STOP_RETINOIDS"]
    assert stop_retinoids == ["2027-02-24T09:00:00+09:00", "2027-03-24T09:00:00+09:00", "2027-04-21T09:00:00+09:00"]
    sunscreen = next(e for e in plan.json["events"] if e["code"] == "DAILY_SUNSCREEN")
    assert sunscreen["start"]["seoul"] == "2027-02-15T09:00:00+09:00"
    assert [e["code"] for e in plan.json["events"] if e["kind"] == "RECOVERY"].count("LONG_TERM") == 1
    follow_ups = [e["start"]["seoul"][:10] for e in plan.json["events"] if e["kind"] == "FOLLOW_UP"]
    assert follow_ups == ["2027-05-10", "2027-06-09", "2027-07-09"]
    # 28 days apart with a 5-day minimum stay: a trip per visit.
    assert plan.json["tripsNeeded"] == 3 and plan.json["minimumStayDays"] == 5
    assert plan.json["trips"][0] == {"arriveBy": "2027-02-28", "departFrom": "2027-03-06", "visits": [1]}

    ics = client.get(f"/bookings/{booking['reference']}/care-plan.ics", headers=agency)
    assert ics.mimetype == "text/calendar"
    calendar = Calendar.from_ical(ics.data)
    events = calendar.walk("VEVENT")
    assert len(events) == len(plan.json["events"])
    first_visit = next(e for e in events if str(e["summary"]).startswith("Visit 1"))
    assert first_visit.decoded("dtstart").isoformat() == "2027-03-01T01:00:00+00:00"
    by_accept = client.get(f"/bookings/{booking['reference']}/care-plan", headers={**agency, "Accept": "text/calendar"})
    assert by_accept.mimetype == "text/calendar"
    assert (
        client.get(f"/bookings/{booking['reference']}/care-plan", headers=bearer("AGENCY", agency="other")).status_code
        == 404
    )
