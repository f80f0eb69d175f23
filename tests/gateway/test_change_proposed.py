"""Changes the clinic starts, through GraphQL: a clinic's admin closes a slot or a day that visits hold, the
agency sees CHANGE_PROPOSED with alternatives, accepts one (the same reference) or declines (a full refund
of the visit), and follows it all in its event feed."""

from __future__ import annotations

import uuid

from tests.support import (
    AGENCY_KEY,
    ASAN_KEY,
    EVERY_DAY,
    ICEPICK,
    ORACLE,
    ORACLE_KEY,
    OTHER_AGENCY_KEY,
    PATIENT,
    gql,
    open_series_through,
    seoul_day,
)

QUOTE = "mutation Q($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id } } }"
BOOK = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
  booking { reference visits { number slotId } } errors { code } } }"""
VISITS = """query V($reference: String!) { booking(reference: $reference) { reference status
  visits { number slotId status refund { amount { krw } } proposedChange { reason proposedAt withdrawnSlotId
    alternatives { slotId start startHome end durationMinutes interpreter { name } } } }
  history { visit visitChange { from to reason } reason } } }"""
OPEN = "mutation O($input: OpenSlotsInput!) { openSlots(input: $input) { slots { id start } } }"
CLOSE = "mutation C($id: ID!) { closeSlot(id: $id) { slot { status } errors { code } } }"
ACCEPT = """mutation A($input: AcceptProposedChangeInput!) { acceptProposedChange(input: $input) {
  booking { reference visits { number slotId status } } errors { field code } } }"""
DECLINE = """mutation D($input: DeclineProposedChangeInput!) { declineProposedChange(input: $input) {
  booking { reference status visits { status refund { percent amount { krw } } } } errors { field code } } }"""
CLOSE_DAY = """mutation D($input: CloseClinicDayInput!) { closeClinicDay(input: $input) {
  closed { clinic date slotsClosed visitsProposed bookingsAffected } errors { code } } }"""
FEED = """query E($types: [EventType!]) { events(first: 100, types: $types) { events { type resource { id } } } }"""


def booked(gateway, days: int, at: str) -> dict:
    slot = open_series_through(gateway, ICEPICK, days, at, capacity=2)
    quote = gql(gateway, QUOTE, {"input": {"packageId": ICEPICK}}).json["data"]["createQuote"]["quote"]["id"]
    body = {"quoteId": quote, "slotId": slot, "patient": PATIENT, "idempotencyKey": uuid.uuid4().hex}
    made = gql(gateway, BOOK, {"input": body}, key=AGENCY_KEY).json["data"]["createBooking"]
    assert made["errors"] == [], made
    return made["booking"]


def opened(gateway, days: int, at: str) -> dict:
    day = seoul_day(days)
    rule = {"clinic": ORACLE, "from": day, "to": day, "weekdays": EVERY_DAY, "times": [at], "capacity": 1}
    return gql(gateway, OPEN, {"input": rule}, key=ORACLE_KEY).json["data"]["openSlots"]["slots"][0]


def read(gateway, reference: str, key: str = AGENCY_KEY) -> dict:
    return gql(gateway, VISITS, {"reference": reference}, key=key).json["data"]["booking"]


def types_of(gateway, reference: str) -> list[str]:
    wanted = ["VISIT_CHANGE_PROPOSED", "VISIT_CHANGE_ACCEPTED", "VISIT_CHANGE_DECLINED"]
    events = gql(gateway, FEED, {"types": wanted}, key=AGENCY_KEY).json["data"]["events"]["events"]
    return [e["type"] for e in events if e["resource"]["id"] == reference]


def test_a_clinic_closing_a_held_slot_proposes_a_change_the_agency_accepts_under_the_same_reference(gateway):
    booking = booked(gateway, 300, "13:05")
    reference, withdrawn = booking["reference"], booking["visits"][1]["slotId"]  # visit 2, 28 days after visit 1
    alternative = opened(gateway, 300 + 28, "13:35")  # visit 2 must stay 28 to 42 days from visits 1 and 3
    closed = gql(gateway, CLOSE, {"id": withdrawn}, key=ORACLE_KEY).json["data"]["closeSlot"]
    assert closed == {"slot": {"status": "CLOSED"}, "errors": []}

    proposed = read(gateway, reference)
    visit = proposed["visits"][1]
    assert (proposed["status"], visit["status"]) == ("PENDING", "CHANGE_PROPOSED")
    change = visit["proposedChange"]
    assert (change["reason"], change["withdrawnSlotId"]) == ("SLOT_CLOSED", withdrawn)
    offered = {a["slotId"]: a for a in change["alternatives"]}
    assert offered[alternative["id"]]["start"] == alternative["start"] and withdrawn not in offered
    assert proposed["history"][-1]["visitChange"] == {
        "from": "BOOKED",
        "to": "CHANGE_PROPOSED",
        "reason": "SLOT_CLOSED",
    }
    assert read(gateway, reference, ORACLE_KEY)["visits"][1]["status"] == "CHANGE_PROPOSED"  # the clinic sees it too

    answer = {"reference": reference, "visit": 2, "slotId": alternative["id"], "idempotencyKey": uuid.uuid4().hex}
    by_clinic = gql(gateway, ACCEPT, {"input": answer}, key=ORACLE_KEY).json
    assert by_clinic["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # the clinic may not decide for the patient
    other = gql(gateway, ACCEPT, {"input": answer}, key=OTHER_AGENCY_KEY).json["data"]["acceptProposedChange"]
    assert other["errors"][0]["code"] == "NOT_FOUND"
    not_offered = {**answer, "slotId": withdrawn, "idempotencyKey": uuid.uuid4().hex}
    refused = gql(gateway, ACCEPT, {"input": not_offered}, key=AGENCY_KEY).json["data"]["acceptProposedChange"]
    assert refused["errors"] == [{"field": "slotId", "code": "ALTERNATIVE_NOT_OFFERED"}]
    assert read(gateway, reference) == proposed  # nothing changed

    accepted = gql(gateway, ACCEPT, {"input": answer}, key=AGENCY_KEY).json["data"]["acceptProposedChange"]
    assert accepted["errors"] == [], accepted
    assert accepted["booking"]["reference"] == reference
    assert accepted["booking"]["visits"][1] == {"number": 2, "slotId": alternative["id"], "status": "BOOKED"}
    assert read(gateway, reference)["visits"][1]["proposedChange"] is None
    assert types_of(gateway, reference) == ["VISIT_CHANGE_PROPOSED", "VISIT_CHANGE_ACCEPTED"]


def test_a_clinic_closing_a_day_and_the_agency_declining_refunds_the_visit_in_full(gateway):
    booking = booked(gateway, 305, "13:10")
    reference = booking["reference"]
    day = {"clinic": ORACLE, "date": seoul_day(305 + 28), "reason": "Staff training"}  # visit 2's day
    refused = gql(gateway, CLOSE_DAY, {"input": day}, key=ASAN_KEY).json
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # another clinic's admins
    closed = gql(gateway, CLOSE_DAY, {"input": day}, key=ORACLE_KEY).json["data"]["closeClinicDay"]
    assert closed["errors"] == [] and closed["closed"]["slotsClosed"] >= 1
    assert closed["closed"]["visitsProposed"] >= 1 and closed["closed"]["date"] == day["date"]
    proposed = read(gateway, reference)
    assert [v["status"] for v in proposed["visits"]] == ["BOOKED", "CHANGE_PROPOSED", "BOOKED"]
    assert proposed["history"][-1]["reason"] == "Staff training"

    answer = {"reference": reference, "visit": 2, "idempotencyKey": uuid.uuid4().hex}
    declined = gql(gateway, DECLINE, {"input": answer}, key=AGENCY_KEY).json["data"]["declineProposedChange"]
    assert declined["errors"] == [], declined
    assert [v["status"] for v in declined["booking"]["visits"]] == ["BOOKED", "CANCELLED", "BOOKED"]
    refund = declined["booking"]["visits"][1]["refund"]
    assert refund["percent"] == 100 and refund["amount"]["krw"] > 0
    assert declined["booking"]["status"] == "PENDING"
    assert types_of(gateway, reference) == ["VISIT_CHANGE_PROPOSED", "VISIT_CHANGE_DECLINED"]
