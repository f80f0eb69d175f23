"""Booking a locked quote into a slot: seats, screening, idempotency, failures."""

from __future__ import annotations

import re
import uuid

import requests

from services.bookings import seed
from services.bookings.app import create_app
from tests.support import AGENCY, ICEPICK, ORACLE, PATIENT, booking_count, free_port, in_days, seat_count, within_notice


def test_a_booking_locks_the_quote_takes_a_seat_and_waits_for_the_clinic(
    bookings, open_slot, book, new_quote, packages_url, agency
):
    slot = open_slot(in_days(12))
    quote = new_quote(interpreterLanguage="ja", followUpPlan="VIDEO_3", currency="USD")
    answer = book(slot, quote)
    assert answer.status_code == 201, answer.json
    booking = answer.json
    assert re.fullmatch(r"CB-[2-9A-HJ-NP-Z]{8}", booking["reference"])
    assert answer.headers["Location"] == f"/bookings/{booking['reference']}"
    assert (booking["status"], booking["clinic"], booking["agency"]) == ("PENDING", ORACLE, AGENCY)
    assert (booking["packageId"], booking["packageVersion"]) == (ICEPICK, 1)
    # The price the patient saw is the price recorded.
    assert booking["price"]["total"] == quote["total"] and booking["price"]["currency"] == "USD"
    assert booking["cancellationPolicy"] == quote["package"]["cancellationPolicy"]
    assert booking["slot"]["start"] == slot["start"]
    assert booking["history"][0]["to"] == "PENDING" and booking["history"][0]["from"] is None
    assert seat_count(bookings, slot["id"]) == 1
    # The anonymous quote is now the booking agency's: it reads it, and no one else can.
    assert (
        requests.get(f"{packages_url}/quotes/{quote['id']}", headers=agency).json()["lockedBy"] == booking["reference"]
    )
    assert requests.get(f"{packages_url}/quotes/{quote['id']}").status_code == 404


def test_screening_answers_become_warnings_or_a_refusal(bookings, open_slot, book, new_quote, packages_url, agency):
    slot = open_slot(in_days(12))
    darker = book(slot, patient={**PATIENT, "fitzpatrickSkinType": "V", "activeAcne": True})
    assert darker.status_code == 201
    assert {w["code"] for w in darker.json["warnings"]} == {"DARKER_SKIN_PIH", "ACTIVE_ACNE"}
    # This package declares recent isotretinoin blocking: refused, no seat taken, the quote free again.
    quote = new_quote()
    blocked = book(slot, quote, patient={**PATIENT, "isotretinoinLast6Months": True})
    assert blocked.status_code == 422
    assert blocked.json["code"] == "SCREENING_BLOCKED"
    assert seat_count(bookings, slot["id"]) == 1 and booking_count(bookings) == 1
    # Free again, and the agency's now: trying to book it was the patient handing it over.
    assert requests.get(f"{packages_url}/quotes/{quote['id']}", headers=agency).json()["lockedBy"] is None


def test_a_full_slot_is_refused_and_the_quote_released(bookings, open_slot, book, new_quote, packages_url):
    slot = open_slot(in_days(12), capacity=1)
    assert book(slot).status_code == 201
    quote = new_quote()
    full = book(slot, quote)
    assert full.status_code == 409 and full.json["code"] == "SLOT_FULL"
    assert seat_count(bookings, slot["id"]) == 1
    assert requests.get(f"{packages_url}/quotes/{quote['id']}").json()["lockedBy"] is None


def test_slots_that_cannot_be_booked_are_refused(bookings, client, bearer, open_slot, book):
    soon = open_slot(within_notice())
    assert book(soon).json["code"] == "SLOT_TOO_SOON"
    closed = open_slot(in_days(12))
    client.post(f"/slots/{closed['id']}/close", headers=bearer("CLINIC_ADMIN", clinic=ORACLE))
    assert book(closed).json["code"] == "SLOT_CLOSED"
    elsewhere = open_slot(in_days(12), clinic="asan-medical-center")
    wrong = book(elsewhere)
    assert wrong.status_code == 422 and wrong.json["code"] == "SLOT_NOT_FOR_PACKAGE"
    assert book({"id": "0123456789abcdef01234567"}).json["code"] == "UNKNOWN_SLOT"
    assert booking_count(bookings) == 0
    assert seat_count(bookings, soon["id"]) == seat_count(bookings, elsewhere["id"]) == 0


def test_a_quote_serves_one_booking(bookings, open_slot, book, new_quote):
    slot = open_slot(in_days(12))
    quote = new_quote()
    assert book(slot, quote).status_code == 201
    again = book(slot, quote)
    assert again.status_code == 409 and again.json["code"] == "QUOTE_ALREADY_LOCKED"
    unknown = book(slot, {"id": "0123456789abcdef0123456789abcdef"})
    assert unknown.status_code == 422 and unknown.json["code"] == "UNKNOWN_QUOTE"
    assert seat_count(bookings, slot["id"]) == 1


def test_the_same_key_and_body_replays_the_first_answer(bookings, client, agency, open_slot, new_quote, later_visits):
    slot = open_slot(in_days(12))
    later_visits(slot)
    body = {"quoteId": new_quote()["id"], "slotId": slot["id"], "patient": PATIENT}
    first = client.post("/bookings", json=body, headers={**agency, "Idempotency-Key": "trip-42"})
    second = client.post("/bookings", json=body, headers={**agency, "Idempotency-Key": "trip-42"})
    assert first.status_code == second.status_code == 201
    assert second.json == first.json
    assert second.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert booking_count(bookings) == 1 and seat_count(bookings, slot["id"]) == 1
    other_body = client.post(
        "/bookings",
        json={**body, "patient": {**PATIENT, "name": "Someone Else"}},
        headers={**agency, "Idempotency-Key": "trip-42"},
    )
    assert other_body.status_code == 422 and other_body.json["code"] == "IDEMPOTENCY_KEY_REUSED"
    # Keys belong to the caller: another agency's same key is a new request, and the quote is not that agency's.
    other_agency = client.post(
        "/bookings", json=body, headers={"Idempotency-Key": "trip-42", **_agency_headers(client, "busan-travel")}
    )
    assert other_agency.status_code == 422 and other_agency.json["code"] == "UNKNOWN_QUOTE"


def _agency_headers(client, agency):
    from services.common.config import DEV_TOKEN_SECRET
    from services.common.tokens import Principal, mint

    return {"Authorization": "Bearer " + mint(Principal("AGENCY", "test", agency=agency), DEV_TOKEN_SECRET)}


def test_a_refusal_is_replayed_too(bookings, client, agency, open_slot, new_quote, later_visits):
    slot = open_slot(in_days(12), capacity=1)
    later_visits(slot)
    client.post(
        "/bookings",
        json={"quoteId": new_quote()["id"], "slotId": slot["id"], "patient": PATIENT},
        headers={**agency, "Idempotency-Key": "a"},
    )
    body = {"quoteId": new_quote()["id"], "slotId": slot["id"], "patient": PATIENT}
    full = client.post("/bookings", json=body, headers={**agency, "Idempotency-Key": "b"})
    replay = client.post("/bookings", json=body, headers={**agency, "Idempotency-Key": "b"})
    assert full.json["code"] == replay.json["code"] == "SLOT_FULL"
    assert replay.mimetype == "application/problem+json" and replay.headers["Idempotent-Replayed"] == "true"


def test_an_idempotency_key_is_required(client, agency, open_slot, new_quote):
    slot = open_slot(in_days(12))
    body = {"quoteId": new_quote()["id"], "slotId": slot["id"], "patient": PATIENT}
    answer = client.post("/bookings", json=body, headers=agency)
    assert answer.status_code == 400 and answer.json["errors"][0]["field"] == "Idempotency-Key"


def test_packages_down_is_503_with_no_seat_taken(bookings_settings, mongo_client, bearer, new_quote):
    down = create_app(
        bookings_settings.with_overrides(
            service_urls={"packages": f"http://127.0.0.1:{free_port()}"}, http_timeout_seconds=0.5
        )
    )
    with down.app_context():
        seed.load_registrations()  # the agency and the clinic are registered: the booking gets as far as the quote
    client = down.test_client()
    slot = client.post(
        "/slots",
        json={"clinic": ORACLE, "start": in_days(12).isoformat(), "capacity": 2},
        headers=bearer("CLINIC_ADMIN", clinic=ORACLE),
    ).json
    body = {"quoteId": new_quote()["id"], "slotId": slot["id"], "patient": PATIENT}
    headers = {**bearer("AGENCY", agency=AGENCY), "Idempotency-Key": "k1"}
    answer = client.post("/bookings", json=body, headers=headers)
    assert answer.status_code == 503
    assert answer.json["code"] == "UPSTREAM_UNAVAILABLE" and "packages" in answer.json["detail"]
    assert "127.0.0.1" not in answer.get_data(as_text=True)
    assert seat_count(down, slot["id"]) == 0 and booking_count(down) == 0
    # The key was released: the same request may be retried once the service is back.
    assert client.post("/bookings", json=body, headers=headers).json["code"] == "UPSTREAM_UNAVAILABLE"
    mongo_client.drop_database(bookings_settings.database)


def test_bad_patients_are_refused_with_every_field_and_nothing_written(bookings, client, agency, open_slot, new_quote):
    slot = open_slot(in_days(12))
    patient = {
        **PATIENT,
        "email": "nope",
        "nationality": "XX",
        "preferredLanguage": "zz",
        "homeTimeZone": "Mars/Olympus",
        "fitzpatrickSkinType": "VII",
    }
    body = {"quoteId": new_quote()["id"], "slotId": slot["id"], "patient": patient}
    first = client.post("/bookings", json=body, headers={**agency, "Idempotency-Key": uuid.uuid4().hex})
    assert first.status_code == 400
    assert {e["field"] for e in first.json["errors"]} == {"patient.email", "patient.fitzpatrickSkinType"}
    codes = {**patient, "email": "maya@example.com", "fitzpatrickSkinType": "IV"}
    second = client.post(
        "/bookings", json={**body, "patient": codes}, headers={**agency, "Idempotency-Key": uuid.uuid4().hex}
    )
    assert second.status_code == 400
    assert {e["field"] for e in second.json["errors"]} == {
        "patient.nationality",
        "patient.preferredLanguage",
        "patient.homeTimeZone",
    }
    injected = client.post(
        "/bookings",
        json={**body, "patient": {**PATIENT, "$where": "1"}},
        headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert injected.status_code == 400 and injected.json["errors"][0]["field"] == "patient.$where"
    assert booking_count(bookings) == 0 and seat_count(bookings, slot["id"]) == 0


def test_only_agencies_book(client, bearer, open_slot, new_quote):
    slot = open_slot(in_days(12))
    body = {"quoteId": new_quote()["id"], "slotId": slot["id"], "patient": PATIENT}
    assert client.post("/bookings", json=body, headers={"Idempotency-Key": "x"}).status_code == 401
    as_clinic = client.post(
        "/bookings", json=body, headers={**bearer("CLINIC_ADMIN", clinic=ORACLE), "Idempotency-Key": "x"}
    )
    assert as_clinic.status_code == 403
