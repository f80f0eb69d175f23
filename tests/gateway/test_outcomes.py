"""A write that reached a service but got no answer in time: the partner is told the outcome is unknown,
and that the same call with the same idempotency key is safe and tells it."""

from __future__ import annotations

import time
import uuid

from tests.support import (
    AGENCY_KEY,
    ICEPICK,
    PATIENT,
    gql,
    load_sample_interpreters,
    open_series_through,
    running_service,
    seed,
)

QUOTE = "mutation Q($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id } } }"
BOOK = """mutation B($input: CreateBookingInput!) {
  createBooking(input: $input) { replayed booking { reference visits { slotId } } errors { field code } } }"""


def test_a_booking_whose_answer_times_out_is_an_unknown_outcome_that_its_retry_resolves(
    make_gateway, mongo_uri, mongo_client, packages_url
):
    env = {
        "MONGO_URI": mongo_uri,
        "BOOKINGS_DB_NAME": f"test_bookings_slow_{uuid.uuid4().hex[:8]}",
        "PACKAGES_URL": packages_url,
        "MIN_NOTICE_HOURS": "24",
        "FAILPOINTS": "bookings.after_commit:sleep=8",  # the booking is made, then its answer is late
    }
    seed(env, ("bookings",), command="init")
    load_sample_interpreters(env)  # and registrations: the seed agency books at a registered clinic
    try:
        with running_service("bookings", env) as slow:
            gateway = make_gateway({"bookings": slow}).test_client()  # which waits 6 seconds for an answer
            slot = open_series_through(gateway, ICEPICK, 45, "10:40")
            quote = gql(gateway, QUOTE, {"input": {"packageId": ICEPICK}}, key=AGENCY_KEY).json
            booking = {
                "quoteId": quote["data"]["createQuote"]["quote"]["id"],
                "slotId": slot,
                "patient": PATIENT,
                "idempotencyKey": uuid.uuid4().hex,
            }
            first = gql(gateway, BOOK, {"input": booking}, key=AGENCY_KEY).json
            assert first["data"]["createBooking"] is None
            error = first["errors"][0]
            assert error["extensions"] == {
                "code": "OUTCOME_UNKNOWN",
                "service": "bookings",
                "retry": "same idempotencyKey",
            }
            assert "same idempotencyKey" in error["message"] and "http" not in error["message"]

            deadline = time.monotonic() + 20
            while True:  # the retry waits while the first request still runs, then answers what it did
                retry = gql(gateway, BOOK, {"input": booking}, key=AGENCY_KEY).json
                answer = retry["data"]["createBooking"]
                if answer is None or answer["errors"] != [{"field": None, "code": "IDEMPOTENCY_KEY_IN_FLIGHT"}]:
                    break
                assert time.monotonic() < deadline
                time.sleep(0.5)
            assert answer["errors"] == [] and answer["replayed"] is True, retry
            assert answer["booking"]["visits"][0]["slotId"] == slot
            assert mongo_client[env["BOOKINGS_DB_NAME"]].bookings.count_documents({}) == 1
    finally:
        mongo_client.drop_database(env["BOOKINGS_DB_NAME"])
