"""The partner's flow and the clinic admin's flow, end to end over the real services."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from tests.support import (
    AGENCY_KEY,
    ASAN_KEY,
    ORACLE_KEY,
    OTHER_AGENCY_KEY,
    PACKAGE_INPUT,
    book_through,
    gql,
    open_series_through,
    patient,
    seoul_day,
)

COMPARE = """
query Compare($scar: ScarTypeCode!) {
  packages(first: 5, filter: {scarType: $scar}, sort: {field: PRICE_PER_SESSION}) {
    edges { node { id title clinic { name kind } } }
  }
}"""

SIDE_BY_SIDE = """
query SideBySide($ids: [ID!]!) {
  comparePackages(ids: $ids, options: {interpreterLanguage: "en", followUpKind: REMOTE_VIDEO, currency: USD}) {
    columns { id title }
    rows { fact label values { text best } }
  }
}"""

QUOTE = """
mutation Quote($input: CreateQuoteInput!) {
  createQuote(input: $input) {
    quote { id total { amount currency krw rate asOf } interpreter { krw } followUp { krw } package { id version } }
    errors { field message code }
  }
}"""

AVAILABILITY = """query Slots($id: ID!, $from: Date!, $to: Date!) { availableSlots(packageId: $id, from: $from, to: $to, first: 100) {
  totalCount edges { node { id start free } } } }"""


def slots_of(answer) -> list[dict]:
    return [edge["node"] for edge in answer.json["data"]["availableSlots"]["edges"]]


BOOK = """
mutation Book($input: CreateBookingInput!) {
  createBooking(input: $input) {
    booking { reference status total { amount currency } warnings { code } slotStart slotStartHome
              carePlan { tripsNeeded events { kind code start { seoul home } } }
              followUps { number kind status start startHome interpreter { language } } }
    errors { field message code }
  }
}"""

MOVE_FOLLOW_UP = """
mutation Move($input: RescheduleFollowUpInput!) {
  rescheduleFollowUp(input: $input) {
    booking { followUps { start } history { followUp { number movedFrom movedTo } } }
    errors { field message code }
  }
}"""

PATIENT = patient(
    name="Ana Silva",
    email="ana@example.com",
    nationality="BR",
    preferredLanguage="pt",
    homeTimeZone="America/Sao_Paulo",
    fitzpatrickSkinType="IV",
)


def test_a_partner_compares_quotes_books_and_gets_the_care_plan(gateway):
    found = gql(gateway, COMPARE, {"scar": "ICE_PICK"}).json
    assert "errors" not in found, found
    ids = [edge["node"]["id"] for edge in found["data"]["packages"]["edges"]]
    assert len(ids) >= 2
    compared = gql(gateway, SIDE_BY_SIDE, {"ids": ids[:3]}).json["data"]["comparePackages"]
    rows = {row["fact"]: row for row in compared["rows"]}
    assert {
        "PRICE_PER_SESSION",
        "TOTAL_WITH_OPTIONS",
        "DOWNTIME_DAYS",
        "TRIPS_NEEDED",
        "LANGUAGES_IN_ROOM",
        "VALID_ACCREDITATIONS",
        "DEVICES",
    } <= set(rows)
    assert sum(v["best"] for v in rows["PRICE_PER_SESSION"]["values"]) >= 1
    assert all(v["text"].endswith(" USD") for v in rows["PRICE_PER_SESSION"]["values"])

    oracle = next(
        i
        for i in ids
        if "Ice-pick" in next(e["node"]["title"] for e in found["data"]["packages"]["edges"] if e["node"]["id"] == i)
    )
    quote = gql(
        gateway,
        QUOTE,
        {"input": {"packageId": oracle, "interpreterLanguage": "ja", "followUpPlan": "VIDEO_3", "currency": "USD"}},
    ).json["data"]["createQuote"]
    assert quote["errors"] == []
    assert (quote["quote"]["interpreter"]["krw"], quote["quote"]["followUp"]["krw"]) == (150_000, 90_000)
    assert quote["quote"]["total"]["krw"] == 2_640_000 and quote["quote"]["total"]["currency"] == "USD"

    first = open_series_through(gateway, oracle, 20, "10:10", capacity=2)  # and every later visit's slot
    slots = slots_of(gql(gateway, AVAILABILITY, {"id": oracle, "from": seoul_day(20), "to": seoul_day(20)}))
    assert first in [slot["id"] for slot in slots]
    slots = [slot for slot in slots if slot["id"] == first]
    booking_input = {
        "quoteId": quote["quote"]["id"],
        "slotId": slots[0]["id"],
        "patient": PATIENT,
        "idempotencyKey": uuid.uuid4().hex,
    }
    booked = gql(gateway, BOOK, {"input": booking_input}, key=AGENCY_KEY).json
    assert "errors" not in booked, booked
    booking = booked["data"]["createBooking"]["booking"]
    assert booking["status"] == "PENDING" and booking["total"] == {"amount": "1899.28", "currency": "USD"}
    assert [w["code"] for w in booking["warnings"]] == ["DARKER_SKIN_PIH"]
    assert booking["slotStart"] == slots[0]["start"] and booking["slotStartHome"].endswith("-03:00")
    visits = [e for e in booking["carePlan"]["events"] if e["kind"] == "VISIT"]
    assert len(visits) == 3 and booking["carePlan"]["tripsNeeded"] == 3
    # Three video follow-ups reserved with the visits, each with the Japanese interpreter, in both time zones.
    follow_ups = booking["followUps"]
    assert [(f["number"], f["kind"], f["status"]) for f in follow_ups] == [
        (n, "REMOTE_VIDEO", "BOOKED") for n in (1, 2, 3)
    ]
    assert all(f["interpreter"]["language"] == "ja" and f["startHome"].endswith("-03:00") for f in follow_ups)
    assert [e["start"]["seoul"] for e in booking["carePlan"]["events"] if e["kind"] == "FOLLOW_UP"] == [
        f["start"] for f in follow_ups
    ]
    # Retrying with the same key books nothing twice.
    again = gql(gateway, BOOK, {"input": booking_input}, key=AGENCY_KEY).json["data"]["createBooking"]["booking"]
    assert again["reference"] == booking["reference"]
    # The agency moves the first follow-up to the same call a day later.
    later = (datetime.fromisoformat(follow_ups[0]["start"]) + timedelta(days=1)).isoformat()
    move = {"reference": booking["reference"], "followUp": 1, "start": later, "idempotencyKey": uuid.uuid4().hex}
    moved = gql(gateway, MOVE_FOLLOW_UP, {"input": move}, key=AGENCY_KEY).json["data"]["rescheduleFollowUp"]
    assert moved["errors"] == [] and moved["booking"]["followUps"][0]["start"] == later, moved
    assert moved["booking"]["history"][-1]["followUp"] == {
        "number": 1,
        "movedFrom": follow_ups[0]["start"],
        "movedTo": later,
    }


CREATE_PACKAGE = """
mutation Create($input: PackageInput!) {
  createPackage(input: $input) { package { id status version } errors { field message code } }
}"""
PUBLISH = """mutation Publish($id: ID!) { publishPackage(id: $id) { package { id status } errors { code message } } }"""
OPEN_SLOTS = """mutation Open($input: OpenSlotsInput!) { openSlots(input: $input) { created skipped slots { id start } errors { code } } }"""
CONFIRM = """mutation Confirm($ref: String!) { confirmBooking(reference: $ref, reason: "Seat confirmed") {
  booking { status history { from to reason } } errors { code } } }"""


def test_a_clinic_admin_publishes_a_package_opens_slots_and_confirms_a_booking(gateway):
    created = gql(gateway, CREATE_PACKAGE, {"input": PACKAGE_INPUT}, key=ORACLE_KEY).json["data"]["createPackage"]
    assert created["errors"] == [] and created["package"]["status"] == "DRAFT"
    package_id = created["package"]["id"]
    published = gql(gateway, PUBLISH, {"id": package_id}, key=ORACLE_KEY).json["data"]["publishPackage"]
    assert published["package"]["status"] == "PUBLISHED"
    # It now appears in a patient's search.
    found = gql(gateway, COMPARE, {"scar": "BOXCAR"}).json["data"]["packages"]["edges"]
    assert package_id in {e["node"]["id"] for e in found}
    opened = gql(
        gateway,
        OPEN_SLOTS,
        {
            "input": {
                "clinic": "oracle-skin-clinic",
                "packageId": package_id,
                "from": seoul_day(10),
                "to": seoul_day(16),
                "weekdays": ["MON", "WED", "FRI"],
                "times": ["11:30"],
                "capacity": 1,
            }
        },
        key=ORACLE_KEY,
    ).json["data"]["openSlots"]
    assert opened["created"] == 3 and opened["errors"] == []
    quote = gql(gateway, QUOTE, {"input": {"packageId": package_id}}).json["data"]["createQuote"]["quote"]
    booking = gql(
        gateway,
        BOOK,
        {
            "input": {
                "quoteId": quote["id"],
                "slotId": opened["slots"][0]["id"],
                "patient": PATIENT,
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
        key=AGENCY_KEY,
    ).json["data"]["createBooking"]
    reference = booking["booking"]["reference"]
    # 4 days apart with a 6-day stay: one trip.
    assert booking["booking"]["carePlan"]["tripsNeeded"] == 1
    confirmed = gql(gateway, CONFIRM, {"ref": reference}, key=ORACLE_KEY).json["data"]["confirmBooking"]
    assert confirmed["booking"]["status"] == "BOOKED"
    assert confirmed["booking"]["history"][-1] == {"from": "PENDING", "to": "BOOKED", "reason": "Seat confirmed"}
    full = gql(
        gateway,
        BOOK,
        {
            "input": {
                "quoteId": gql(gateway, QUOTE, {"input": {"packageId": package_id}}).json["data"]["createQuote"][
                    "quote"
                ]["id"],
                "slotId": opened["slots"][0]["id"],
                "patient": PATIENT,
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
        key=AGENCY_KEY,
    ).json["data"]["createBooking"]
    assert full["booking"] is None and full["errors"][0]["code"] == "SLOT_FULL"


BOOKING = """query One($ref: String!) { booking(reference: $ref) { reference patient { name } } }"""
CANCEL = """mutation Cancel($ref: String!) { cancelBooking(reference: $ref) { booking { status refund { percent } } errors { code } } }"""


def test_authorization_per_object_and_per_mutation(gateway):
    quote = gql(gateway, QUOTE, {"input": {"packageId": _package(gateway, "BOXCAR")}}).json["data"]["createQuote"][
        "quote"
    ]
    slot = {"id": open_series_through(gateway, quote["package"]["id"], 30, "09:05", capacity=3)}
    made = book_through(gateway, BOOK, quote["id"], slot["id"], PATIENT)
    reference = made["booking"]["reference"]
    assert (
        gql(gateway, BOOKING, {"ref": reference}, key=AGENCY_KEY).json["data"]["booking"]["patient"]["name"]
        == "Ana Silva"
    )
    # Another agency sees nothing and cancels nothing; another clinic neither.
    assert gql(gateway, BOOKING, {"ref": reference}, key=OTHER_AGENCY_KEY).json["data"]["booking"] is None
    assert gql(gateway, BOOKING, {"ref": reference}, key=ASAN_KEY).json["data"]["booking"] is None
    refused = gql(gateway, CANCEL, {"ref": reference}, key=OTHER_AGENCY_KEY).json["data"]["cancelBooking"]
    assert refused["booking"] is None and refused["errors"][0]["code"] == "NOT_FOUND"
    # An agency may not confirm; anonymous callers may not book.
    forbidden = gql(gateway, CONFIRM, {"ref": reference}, key=AGENCY_KEY).json
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = gql(
        gateway,
        BOOK,
        {"input": {"quoteId": quote["id"], "slotId": slot["id"], "patient": PATIENT, "idempotencyKey": "x"}},
    ).json
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # A clinic admin cannot publish or change another clinic's package.
    other = gql(gateway, PUBLISH, {"id": quote["package"]["id"]}, key=ASAN_KEY).json
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    cancelled = gql(gateway, CANCEL, {"ref": reference}, key=AGENCY_KEY).json["data"]["cancelBooking"]
    assert cancelled["booking"]["status"] == "CANCELLED" and cancelled["booking"]["refund"]["percent"] == 100


def test_an_unknown_api_key_is_refused(gateway):
    answer = gql(gateway, "{ scarTypes { code } }", key="cbk_not_a_key")
    assert answer.status_code == 401
    assert answer.json["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _package(gateway, scar: str) -> str:
    return gql(gateway, COMPARE, {"scar": scar}).json["data"]["packages"]["edges"][0]["node"]["id"]
