"""Screening before booking asks the bookings service, which decides exactly as createBooking will."""

from __future__ import annotations

from tests.support import ICEPICK, PATIENT, book_through, gql, open_slot_through

SCREEN = """query S($quoteId: ID!, $answers: ScreeningAnswersInput!) { screening(quoteId: $quoteId, answers: $answers) {
  bookable warnings { code text } blocking { code } } }"""
QUOTE = """mutation Q { createQuote(input: {packageId: "%s"}) { quote { id } } }""" % ICEPICK
OPEN = """mutation O($input: OpenSlotsInput!) { openSlots(input: $input) { slots { id } } }"""
BOOK = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
  booking { warnings { code text } } errors { code } } }"""


def answers(**given) -> dict:
    return {"fitzpatrickSkinType": "III", "isotretinoinLast6Months": False, "activeAcne": False, **given}


def test_screening_answers_what_the_booking_then_decides(gateway):
    quote = gql(gateway, QUOTE).json["data"]["createQuote"]["quote"]["id"]
    darker = gql(gateway, SCREEN, {"quoteId": quote, "answers": answers(fitzpatrickSkinType="V")}).json["data"][
        "screening"
    ]
    assert darker["bookable"] and [w["code"] for w in darker["warnings"]] == ["DARKER_SKIN_PIH"]
    blocked = gql(gateway, SCREEN, {"quoteId": quote, "answers": answers(isotretinoinLast6Months=True)}).json["data"]
    assert blocked["screening"]["bookable"] is False
    assert [b["code"] for b in blocked["screening"]["blocking"]] == ["RECENT_ISOTRETINOIN"]

    slot = open_slot_through(gateway, 47, "17:35", capacity=2)

    def book(patient: dict) -> dict:
        return book_through(gateway, BOOK, quote, slot, patient)

    refused = book({**PATIENT, "isotretinoinLast6Months": True})
    assert [e["code"] for e in refused["errors"]] == ["SCREENING_BLOCKED"]
    made = book({**PATIENT, "fitzpatrickSkinType": "V"})
    assert made["errors"] == [] and made["booking"]["warnings"] == darker["warnings"]


def test_screening_an_unknown_quote_says_so(gateway):
    answer = gql(gateway, SCREEN, {"quoteId": "0" * 32, "answers": answers()}).json
    assert answer["errors"][0]["extensions"]["code"] == "UNKNOWN_QUOTE"


def test_an_isotretinoin_date_in_the_future_is_refused_by_name(gateway):
    quote = gql(gateway, QUOTE).json["data"]["createQuote"]["quote"]["id"]
    answer = gql(gateway, SCREEN, {"quoteId": quote, "answers": answers(isotretinoinLastTaken="9999-12-31")}).json
    error = answer["errors"][0]["extensions"]
    assert error["code"] == "VALIDATION_FAILED" and error["errors"][0]["field"] == "answers.isotretinoinLastTaken"
