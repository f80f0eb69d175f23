"""The event feed through the gateway: a partner's own events, in order, each once."""

from __future__ import annotations

import json
import uuid

from tests.support import (
    AGENCY_KEY,
    ASAN_KEY,
    ICEPICK,
    ORACLE_KEY,
    OTHER_AGENCY_KEY,
    PACKAGE_INPUT,
    PATIENT,
    gql,
    open_slot_through,
)

FEED = """query E($after: String, $types: [EventType!]) { events(first: 100, after: $after, types: $types) {
  cursor more events { id type at resource { type id } data } } }"""


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
    assert dict(count_calls) == {"bookings": 1, "packages": 1}  # both logs, one call each
    mine = [e for e in page["events"] if e["resource"]["id"] == reference]
    assert [e["type"] for e in mine] == ["BOOKING_CREATED", "BOOKING_CONFIRMED"]
    assert json.loads(mine[1]["data"])["status"] == "BOOKED"
    count_calls.clear()
    confirmed = gql(gateway, FEED, {"after": start["cursor"], "types": ["BOOKING_CONFIRMED"]}, key=AGENCY_KEY).json
    assert dict(count_calls) == {"bookings": 1}  # no package type asked for
    assert reference in {e["resource"]["id"] for e in confirmed["data"]["events"]["events"]}
    others = gql(gateway, FEED, {}, key=OTHER_AGENCY_KEY).json["data"]["events"]["events"]
    assert reference not in {e["resource"]["id"] for e in others}  # another agency never reads them
    again = gql(gateway, FEED, {"after": page["cursor"]}, key=AGENCY_KEY).json["data"]["events"]
    assert {e["id"] for e in again["events"]}.isdisjoint({e["id"] for e in mine})  # each once


def test_package_events_reach_the_clinic_and_once_public_the_agencies_in_one_feed(gateway):
    def drained(key):
        page = gql(gateway, FEED, {}, key=key).json["data"]["events"]
        seen = list(page["events"])
        while page["more"]:
            page = gql(gateway, FEED, {"after": page["cursor"]}, key=key).json["data"]["events"]
            seen += page["events"]
        return page["cursor"], seen

    agency_from, _ = drained(AGENCY_KEY)
    clinic_from, _ = drained(ORACLE_KEY)
    draft = gql(
        gateway,
        "mutation C($input: PackageInput!) { createPackage(input: $input) { package { id } } }",
        {"input": PACKAGE_INPUT},
        key=ORACLE_KEY,
    ).json["data"]["createPackage"]["package"]["id"]
    for document in (
        'mutation { updatePackage(id: "%s", input: {priceKrw: 990000}) { errors { code } } }',
        'mutation { publishPackage(id: "%s") { errors { code } } }',
        'mutation { archivePackage(id: "%s") { errors { code } } }',
    ):
        assert gql(gateway, document % draft, key=ORACLE_KEY).json["data"]
    clinic = gql(gateway, FEED, {"after": clinic_from}, key=ORACLE_KEY).json["data"]["events"]["events"]
    agency = gql(gateway, FEED, {"after": agency_from}, key=AGENCY_KEY).json["data"]["events"]["events"]
    ours = [e for e in clinic if e["resource"] == {"type": "package", "id": draft}]
    assert [e["type"] for e in ours] == ["PACKAGE_UPDATED", "PACKAGE_PUBLISHED", "PACKAGE_ARCHIVED"]
    assert [e["id"] for e in agency if e["resource"]["id"] == draft] == [e["id"] for e in ours[1:]]
    other_clinic = gql(gateway, FEED, {}, key=ASAN_KEY).json["data"]["events"]["events"]
    assert draft not in {e["resource"]["id"] for e in other_clinic}
    bad = gql(gateway, FEED, {"after": "12"}, key=AGENCY_KEY).json
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
