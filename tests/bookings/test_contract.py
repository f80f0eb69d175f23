"""The bookings service answers as its published contract says; keys and slots behave as documented."""

from __future__ import annotations

from datetime import timedelta

from services.bookings.models import IdempotencyKey
from services.common.validation import validator
from tests.support import ICEPICK, ORACLE, assert_openapi_refs_resolve, in_days, seoul_day, series


def test_responses_match_the_published_schemas(client, open_slot, book, agency):
    slot = open_slot(in_days(12))
    assert not list(validator("bookings/slot").iter_errors(slot))
    booking = book(slot).json
    assert not list(validator("bookings/booking").iter_errors(booking))
    assert not list(
        validator("bookings/booking-page").iter_errors(client.get("/bookings?total=true", headers=agency).json)
    )
    window = f"from={seoul_day(1)}&to={seoul_day(20)}"
    assert not list(
        validator("bookings/slot-list").iter_errors(client.get(f"/availability?clinic={ORACLE}&{window}").json)
    )


def test_availability_by_package_alone_finds_its_clinic_and_only_starts_of_a_whole_plan(client, open_slot):
    whole = series(open_slot, 12)  # visits on days 12, 42 and 77
    lone = open_slot(in_days(19))  # its second visit's window (days 47 to 61) has no slot
    window = f"from={seoul_day(1)}&to={seoul_day(20)}"
    found = client.get(f"/availability?packageId={ICEPICK}&{window}").json["items"]
    assert [s["id"] for s in found] == [whole[0]["id"]]
    by_clinic = client.get(f"/availability?clinic={ORACLE}&{window}").json["items"]
    assert [s["id"] for s in by_clinic] == [whole[0]["id"], lone["id"]]
    assert client.get(f"/availability?{window}").status_code == 400
    assert client.get(f"/availability?packageId=0123456789abcdef01234567&{window}").status_code == 404


def test_idempotency_keys_expire_after_a_day(bookings, open_slot, book):
    book(open_slot(in_days(12)), key="expiring")
    with bookings.app_context():
        stored = IdempotencyKey._get_collection().find_one({"_id": "seoul-trips:expiring"})
        indexes = IdempotencyKey._get_collection().index_information()
    assert stored["expires_at"] - stored["created_at"] == timedelta(hours=24)
    assert indexes["expiry"]["expireAfterSeconds"] == 0 and indexes["expiry"]["key"] == [("expires_at", 1)]


def test_openapi_lists_every_route_and_every_reference_resolves(client):
    document = client.get("/openapi.json").json
    assert {
        "/slots",
        "/slots/bulk",
        "/slots/{slot_id}/close",
        "/availability",
        "/bookings",
        "/bookings/{reference}",
        "/bookings/{reference}/cancel",
        "/bookings/{reference}/care-plan",
        "/bookings/{reference}/care-plan.ics",
    } <= set(document["paths"])
    assert document["paths"]["/bookings/{reference}/confirm"]["post"]["requestBody"]["required"] is False
    assert_openapi_refs_resolve(document)


def test_next_free_slot_of_many_packages_in_one_call_starts_a_whole_plan(client, open_slot):
    open_slot(in_days(5), package_id=ICEPICK)  # its second visit's window (days 33 to 47) has no slot
    whole = series(open_slot, 20)  # visits on days 20, 50 and 85
    answer = client.post(
        "/availability/next",
        json={
            "packages": [
                {"packageId": ICEPICK, "clinic": ORACLE},
                {"packageId": "0123456789abcdef01234567", "clinic": "asan-medical-center"},
                {"packageId": "0123456789abcdef01234567", "clinic": ORACLE},
            ]
        },
    )
    assert [s and s["id"] for s in answer.json["items"]] == [whole[0]["id"], None, None]  # unknown: no plan


def test_a_date_range_past_400_days_is_refused_by_name_never_a_500(client, open_slot):
    slot = open_slot(in_days(12))
    for first, last in (
        ("2026-01-01", "9999-12-31"),
        ("9999-12-01", "9999-12-31"),
        (seoul_day(1), seoul_day(402)),
    ):
        answer = client.get(f"/availability?clinic={ORACLE}&from={first}&to={last}")
        assert answer.status_code == 400, (first, last, answer.status_code)
        assert answer.json["errors"][0]["field"] == "to"
    within = client.get(f"/availability?clinic={ORACLE}&from={seoul_day(1)}&to={seoul_day(395)}").json["items"]
    assert slot["id"] in [s["id"] for s in within]
