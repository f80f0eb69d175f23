"""The event feed through the gateway: a partner's own events, in order, each once."""

from __future__ import annotations

import json
import uuid

from tests.support import AGENCY_KEY, ICEPICK, ORACLE_KEY, OTHER_AGENCY_KEY, PATIENT, gql, open_slot_through

FEED = """query E($after: String, $types: [EventType!]) { events(first: 100, after: $after, types: $types) {
  cursor more events { id seq type at resource { type id } data } } }"""


def test_a_partner_follows_its_bookings_changes_from_a_cursor(gateway, count_calls):
    start = gql(gateway, FEED, {}, key=AGENCY_KEY).json["data"]["events"]
    while start["more"]:
        start = gql(gateway, FEED, {"after": start["cursor"]}, key=AGENCY_KEY).json["data"]["events"]
    quote = gql(gateway, 'mutation { createQuote(input: {packageId: "%s"}) { quote { id } } }' % ICEPICK).json
    slot = open_slot_through(gateway, 280, "11:05")
    made = gql(
        gateway,
        "mutation B($input: CreateBookingInput!) { createBooking(input: $input) { booking { reference } errors { code } } }",
        {
            "input": {
                "quoteId": quote["data"]["createQuote"]["quote"]["id"],
                "slotId": slot,
                "patient": PATIENT,
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
        key=AGENCY_KEY,
    ).json["data"]["createBooking"]
    reference = made["booking"]["reference"]
    gql(gateway, 'mutation { confirmBooking(reference: "%s") { errors { code } } }' % reference, key=ORACLE_KEY)
    count_calls.clear()
    page = gql(gateway, FEED, {"after": start["cursor"]}, key=AGENCY_KEY).json["data"]["events"]
    assert dict(count_calls) == {"bookings": 1}
    mine = [e for e in page["events"] if e["resource"]["id"] == reference]
    assert [e["type"] for e in mine] == ["BOOKING_CREATED", "BOOKING_CONFIRMED"]
    assert json.loads(mine[1]["data"])["status"] == "BOOKED"
    confirmed = gql(gateway, FEED, {"after": start["cursor"], "types": ["BOOKING_CONFIRMED"]}, key=AGENCY_KEY).json
    assert reference in {e["resource"]["id"] for e in confirmed["data"]["events"]["events"]}
    others = gql(gateway, FEED, {}, key=OTHER_AGENCY_KEY).json["data"]["events"]["events"]
    assert reference not in {e["resource"]["id"] for e in others}  # another agency never reads them
    again = gql(gateway, FEED, {"after": page["cursor"]}, key=AGENCY_KEY).json["data"]["events"]
    assert {e["id"] for e in again["events"]}.isdisjoint({e["id"] for e in mine})  # each once
