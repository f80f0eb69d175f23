"""Every start the API offers can be booked as a whole plan: the next free slot, the available slots and the
visits proposed from them, for every seed package, with and without an interpreter, one partner at a time."""

from __future__ import annotations

import uuid

from tests.support import AGENCY_KEY, EVERY_DAY, OPEN_SLOTS, PATIENT, PLATFORM_KEY, gql, seoul_day

PACKAGES = """{ packages(first: 50) { edges { node {
  id title clinic { slug } schedule { visits } visitWindow { minDays } interpreterOptions { language }
} } } }"""

OFFERED = """
query Offered($id: ID!, $language: String, $from: Date!, $to: Date!) {
  package(id: $id) { nextFreeSlot(interpreterLanguage: $language) { id start } }
  availableSlots(packageId: $id, from: $from, to: $to, first: 2, interpreterLanguage: $language) {
    edges { node { id start } }
  }
}"""

QUOTE = (
    """mutation Q($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id } errors { code message } } }"""
)

OPTIONS = """query V($quote: ID!, $first: ID!) { visitOptions(quoteId: $quote, firstSlotId: $first) {
  complete visits { number slot { id } } } }"""

BOOK = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
  booking { reference visits { number slotId interpreter { language } } } errors { code message } } }"""

CANCEL = """mutation C($ref: String!) { cancelBooking(reference: $ref) { booking { status } errors { code } } }"""


def data(answer) -> dict:
    body = answer.json
    assert "errors" not in body, body
    return body["data"]


def open_plan(gateway, package: dict, first_day: int) -> None:
    """Two seats at 11:00 on a first visit's day and on the earliest day of each later visit's window, and a
    lone slot two days later whose later visits' windows may have none."""
    gap = package["visitWindow"]["minDays"]
    days = [first_day + gap * n for n in range(package["schedule"]["visits"])] + [first_day + 2]
    for day in days:
        rule = {
            "clinic": package["clinic"]["slug"],
            "from": seoul_day(day),
            "to": seoul_day(day),
            "weekdays": EVERY_DAY,
            "times": ["11:00"],
            "capacity": 2,
        }
        assert "errors" not in gql(gateway, OPEN_SLOTS, {"input": rule}, key=PLATFORM_KEY).json


def test_every_offered_start_books_its_whole_plan_for_every_seed_package(gateway):
    packages = [edge["node"] for edge in data(gql(gateway, PACKAGES))["packages"]["edges"]]
    for package in packages:
        open_plan(gateway, package, 6)  # past every interpreter provider's notice
    booked = 0
    for package in packages:
        offered_in = sorted(
            {option["language"] for option in package["interpreterOptions"]}, key=lambda code: code != "ja"
        )
        languages = [None, *offered_in[:1]]
        for language in languages:
            window = {"id": package["id"], "language": language, "from": seoul_day(0), "to": seoul_day(120)}
            offered = data(gql(gateway, OFFERED, window))
            starts = [offered["package"]["nextFreeSlot"]] + [e["node"] for e in offered["availableSlots"]["edges"]]
            for start in {slot["id"]: slot for slot in starts if slot}.values():
                quote_input = {"packageId": package["id"], **({"interpreterLanguage": language} if language else {})}
                quote = data(gql(gateway, QUOTE, {"input": quote_input}))["createQuote"]
                assert quote["errors"] == [], (package["title"], quote)
                proposed = data(gql(gateway, OPTIONS, {"quote": quote["quote"]["id"], "first": start["id"]}))
                assert proposed["visitOptions"]["complete"], (package["title"], language, start, proposed)
                book = {"quoteId": quote["quote"]["id"], "slotId": start["id"], "patient": PATIENT}
                made = data(gql(gateway, BOOK, {"input": {**book, "idempotencyKey": uuid.uuid4().hex}}, key=AGENCY_KEY))
                assert made["createBooking"]["errors"] == [], (package["title"], language, start, made)
                booking = made["createBooking"]["booking"]
                assert len(booking["visits"]) == package["schedule"]["visits"]
                assert [v["slotId"] for v in booking["visits"]] == [
                    v["slot"]["id"] for v in proposed["visitOptions"]["visits"]
                ]
                if language:
                    assert {v["interpreter"]["language"] for v in booking["visits"]} == {language}
                booked += 1
                cancelled = data(gql(gateway, CANCEL, {"ref": booking["reference"]}, key=AGENCY_KEY))["cancelBooking"]
                assert cancelled["errors"] == [] and cancelled["booking"]["status"] == "CANCELLED"
    assert booked >= len(packages)  # every package offered at least one start
