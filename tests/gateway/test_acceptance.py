"""What a partner's acceptance run found, one test per defect, through the gateway over the real services."""
from __future__ import annotations

import uuid

from services.packages.seed import seed_id

from .conftest import AGENCY_KEY, ORACLE_KEY, gql, seoul_day

ICEPICK = str(seed_id("oracle-icepick-tca-co2"))
PATIENT = {"name": "Kenji Sato", "email": "kenji@example.com", "nationality": "JP", "preferredLanguage": "ja",
           "homeTimeZone": "Asia/Tokyo", "fitzpatrickSkinType": "III", "isotretinoinLast6Months": False, "activeAcne": False}
QUOTE = """mutation Q($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id } errors { code } } }"""
OPEN_SLOTS = """mutation O($input: OpenSlotsInput!) { openSlots(input: $input) {
  slots { id start } created skipped errors { field code message } } }"""
EVERY_DAY = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
BOOK = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
  booking { reference total { amount currency rate asOf } } errors { field code message } } }"""
CANCEL = """mutation C($ref: String!) { cancelBooking(reference: $ref) {
  booking { refund { percent amount { amount currency krw rate asOf } } } errors { code } } }"""


def book_in(gateway, currency: str, days: int = 40) -> dict:
    quote = gql(gateway, QUOTE, {"input": {"packageId": ICEPICK, "currency": currency}}).json["data"]["createQuote"]["quote"]
    at = f"{7 + uuid.uuid4().int % 12:02d}:{uuid.uuid4().int % 60:02d}"
    slot = gql(gateway, OPEN_SLOTS, {"input": {"clinic": "oracle-skin-clinic", "packageId": ICEPICK, "from": seoul_day(days),
                                               "to": seoul_day(days), "weekdays": EVERY_DAY, "times": [at], "capacity": 1}},
               key=ORACLE_KEY).json["data"]["openSlots"]["slots"][0]
    made = gql(gateway, BOOK, {"input": {"quoteId": quote["id"], "slotId": slot["id"], "patient": PATIENT,
                                         "idempotencyKey": uuid.uuid4().hex}}, key=AGENCY_KEY).json["data"]["createBooking"]
    assert made["errors"] == [], made
    return made["booking"]


def test_a_refund_carries_the_rate_and_date_of_the_booking_it_refunds(gateway):
    booking = book_in(gateway, "JPY")
    refund = gql(gateway, CANCEL, {"ref": booking["reference"]}, key=AGENCY_KEY).json["data"]["cancelBooking"]["booking"]["refund"]
    assert refund["percent"] == 100
    paid, back = booking["total"], refund["amount"]
    assert back["currency"] == "JPY" and back["amount"] == paid["amount"]
    assert (back["rate"], back["asOf"]) == (paid["rate"], paid["asOf"])
    assert back["rate"] not in ("", None)
