"""Finding every visit of a treatment: each later visit's earliest free slot inside the package's window."""

from __future__ import annotations

from tests.support import ICEPICK, in_days, seoul_day


def test_each_later_visit_gets_the_earliest_free_slot_inside_its_window(client, open_slot, new_quote, bearer):
    quote = new_quote()  # the ice-pick package: 3 visits, TCA CROSS and CO₂ laser, 28 to 42 days apart, 5-day stay
    first = open_slot(in_days(40, "10:00"))
    open_slot(in_days(40 + 20, "09:00"))  # too soon after the first
    second = open_slot(in_days(40 + 30, "11:00"))
    open_slot(in_days(40 + 33, "11:00"))  # later in the window: the earliest wins
    third = open_slot(in_days(40 + 30 + 42, "15:00"))  # the window's last day
    answer = client.post("/visit-options", json={"quoteId": quote["id"], "firstSlotId": first["id"]})
    assert answer.status_code == 200, answer.json
    plan = answer.json
    assert [v["slot"]["id"] for v in plan["visits"]] == [first["id"], second["id"], third["id"]]
    assert (plan["visits"][1]["earliest"], plan["visits"][1]["latest"]) == (
        seoul_day(40 + 28),
        seoul_day(40 + 42),
    )
    assert plan["complete"] and [trip["visits"] for trip in plan["trips"]] == [[1], [2], [3]]
    assert plan["trips"][0] == {
        "arriveBy": seoul_day(39),
        "departFrom": seoul_day(45),
        "visits": [1],
    }
    assert (plan["window"]["minDays"], plan["window"]["maxDays"]) == (28, 42)


def test_a_window_with_no_free_slot_leaves_that_visit_and_the_next_open(client, open_slot, new_quote, bearer):
    quote = new_quote()
    first = open_slot(in_days(41, "10:00"))
    full = open_slot(in_days(41 + 29, "10:00"), capacity=1)
    clinic = bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic")
    assert client.post(f"/slots/{full['id']}/close", headers=clinic).status_code == 200
    plan = client.post("/visit-options", json={"quoteId": quote["id"], "firstSlotId": first["id"]}).json
    assert [v["slot"] for v in plan["visits"][1:]] == [None, None] and not plan["complete"] and plan["trips"] == []


def test_the_first_slot_must_be_bookable_and_the_packages(client, open_slot, new_quote):
    quote = new_quote()
    other_clinic = open_slot(in_days(42, "10:00"), clinic="asan-medical-center")
    refused = client.post("/visit-options", json={"quoteId": quote["id"], "firstSlotId": other_clinic["id"]})
    assert refused.status_code == 422 and refused.json["code"] == "SLOT_NOT_FOR_PACKAGE"
    unknown = client.post("/visit-options", json={"quoteId": "0" * 32, "firstSlotId": other_clinic["id"]})
    assert unknown.status_code == 422 and unknown.json["code"] == "UNKNOWN_QUOTE"


def test_a_trip_fits_a_package_whose_first_visit_has_a_free_slot_with_the_stay_after_it(client, open_slot):
    def fit(arrive: int, depart: int, ids=(ICEPICK,)):
        body = {"packageIds": list(ids), "arrive": seoul_day(arrive), "depart": seoul_day(depart)}
        return client.post("/availability/trip", json=body)

    assert fit(140, 150).json["items"][0]["fits"] is False  # no slot at all in the trip
    late = open_slot(in_days(147, "10:00"))  # 5 days' stay after it would end after day 150
    assert fit(140, 150).json["items"][0]["fits"] is False
    good = open_slot(in_days(143, "10:00"))
    item = fit(140, 150).json["items"][0]
    assert (item["fits"], item["tripsNeeded"]) == (True, 3)
    assert [(v["number"], v["slot"]["id"]) for v in item["visits"]] == [(1, good["id"])]  # visit 2 is a trip later
    assert fit(146, 160).json["items"][0]["visits"][0]["slot"]["id"] == late["id"]
    assert fit(143, 150).json["items"][0]["fits"] is False  # not on the day of arrival
    unknown = fit(140, 150, (ICEPICK, "0123456789abcdef01234567")).json["items"]
    assert unknown[1] is None and unknown[0]["fits"] is True
    too_long = fit(140, 240)
    assert too_long.status_code == 400 and too_long.json["errors"][0]["field"] == "depart"
