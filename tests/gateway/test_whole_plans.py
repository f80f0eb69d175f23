"""Every start the API offers can be booked as a whole plan: the next free slot, the available slots and the
visits proposed from them, for every seed package, with and without an interpreter or a follow-up plan with
appointments, one partner at a time; and a start asked for with a follow-up kind is offered only when its
first follow-up can be reserved."""

from __future__ import annotations

import uuid

from tests.support import AGENCY_KEY, EVERY_DAY, OPEN_SLOTS, PATIENT, PLATFORM_KEY, gql, seoul_day

PACKAGES = """{ packages(first: 50) { edges { node {
  id title clinic { slug } schedule { visits } visitWindow { minDays } interpreterOptions { language }
  followUpPlans { code kind count }
} } } }"""

OFFERED = """
query Offered($id: ID!, $language: String, $kind: FollowUpKind, $from: Date!, $to: Date!) {
  package(id: $id) { nextFreeSlot(interpreterLanguage: $language, followUpKind: $kind) { id start } }
  availableSlots(packageId: $id, from: $from, to: $to, first: 2, interpreterLanguage: $language, followUpKind: $kind) {
    edges { node { id start } }
  }
}"""

QUOTE = (
    """mutation Q($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id } errors { code message } } }"""
)

OPTIONS = """query V($quote: ID!, $first: ID!) { visitOptions(quoteId: $quote, firstSlotId: $first) {
  complete visits { number slot { id start } } followUp { kind start slot { id } } } }"""

BOOK = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
  booking { reference visits { number slotId interpreter { language } } followUps { number kind start slotId } }
  errors { code message } } }"""

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
        with_times = [plan for plan in package["followUpPlans"] if plan["kind"] in ("IN_PERSON", "REMOTE_VIDEO")]
        asked = [(None, None), *((language, None) for language in offered_in[:1])]
        asked += [(None, plan) for plan in with_times[:1]] + [
            (language, plan) for language in offered_in[:1] for plan in with_times[1:2]
        ]
        for language, follow_up in asked:
            kind = follow_up["kind"] if follow_up else None
            window = {
                "id": package["id"],
                "language": language,
                "kind": kind,
                "from": seoul_day(0),
                "to": seoul_day(120),
            }
            offered = data(gql(gateway, OFFERED, window))
            starts = [offered["package"]["nextFreeSlot"]] + [e["node"] for e in offered["availableSlots"]["edges"]]
            for start in {slot["id"]: slot for slot in starts if slot}.values():
                quote_input = {
                    "packageId": package["id"],
                    **({"interpreterLanguage": language} if language else {}),
                    **({"followUpPlan": follow_up["code"]} if follow_up else {}),
                }
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
                if follow_up:
                    assert len(booking["followUps"]) == follow_up["count"], (package["title"], booking)
                    first_follow_up = proposed["visitOptions"]["followUp"]
                    assert booking["followUps"][0]["start"] == first_follow_up["start"]
                booked += 1
                cancelled = data(gql(gateway, CANCEL, {"ref": booking["reference"]}, key=AGENCY_KEY))["cancelBooking"]
                assert cancelled["errors"] == [] and cancelled["booking"]["status"] == "CANCELLED"
    assert booked >= len(packages)  # every package offered at least one start


def package_with(gateway, kind: str) -> tuple[dict, dict]:
    """The first seed package with a follow-up plan of ``kind``, and that plan."""
    packages = [edge["node"] for edge in data(gql(gateway, PACKAGES))["packages"]["edges"]]
    return next((p, plan) for p in packages for plan in p["followUpPlans"] if plan["kind"] == kind)


def offered_on(gateway, package: dict, day: int, kind: str | None) -> list[str]:
    window = {"id": package["id"], "language": None, "kind": kind, "from": seoul_day(day), "to": seoul_day(day)}
    return [edge["node"]["id"] for edge in data(gql(gateway, OFFERED, window))["availableSlots"]["edges"]]


def quote_for(gateway, package: dict, plan: dict) -> str:
    quote = data(gql(gateway, QUOTE, {"input": {"packageId": package["id"], "followUpPlan": plan["code"]}}))
    assert quote["createQuote"]["errors"] == []
    return quote["createQuote"]["quote"]["id"]


def book_from(gateway, quote: str, start: str) -> dict:
    book = {"quoteId": quote, "slotId": start, "patient": PATIENT, "idempotencyKey": uuid.uuid4().hex}
    made = data(gql(gateway, BOOK, {"input": book}, key=AGENCY_KEY))["createBooking"]
    assert made["errors"] == [], made
    return made["booking"]


def open_one(gateway, clinic: str, day: int) -> None:
    rule = {"clinic": clinic, "from": seoul_day(day), "to": seoul_day(day), "weekdays": EVERY_DAY, "times": ["11:00"]}
    assert "errors" not in gql(gateway, OPEN_SLOTS, {"input": {**rule, "capacity": 1}}, key=PLATFORM_KEY).json


def test_a_start_asked_with_an_in_person_follow_up_is_offered_once_its_first_follow_up_has_a_seat(gateway):
    package, plan = package_with(gateway, "IN_PERSON")
    first_day = 120  # its follow-up's window ends before the days other tests open this clinic's slots every day
    gap, visits = package["visitWindow"]["minDays"], package["schedule"]["visits"]
    for number in range(visits):
        open_one(gateway, package["clinic"]["slug"], first_day + gap * number)
    last_day = first_day + gap * (visits - 1)

    # Every visit has its seat, but no slot opens in the follow-up's window (two to four weeks after the last).
    assert len(offered_on(gateway, package, first_day, None)) == 1
    assert offered_on(gateway, package, first_day, "IN_PERSON") == []
    assert offered_on(gateway, package, first_day, "MESSAGING") == []  # the package has no messaging plan

    open_one(gateway, package["clinic"]["slug"], last_day + 20)
    [start] = offered_on(gateway, package, first_day, "IN_PERSON")
    quote = quote_for(gateway, package, plan)
    proposed = data(gql(gateway, OPTIONS, {"quote": quote, "first": start}))["visitOptions"]
    assert proposed["complete"] and proposed["followUp"]["kind"] == "IN_PERSON"
    assert proposed["followUp"]["start"].startswith(seoul_day(last_day + 20))
    booking = book_from(gateway, quote, start)
    assert booking["followUps"][0]["slotId"] == proposed["followUp"]["slot"]["id"]
    assert booking["followUps"][0]["start"] == proposed["followUp"]["start"]


def test_a_start_asked_with_a_video_follow_up_comes_with_a_call_after_departure_in_consultation_hours(gateway):
    package, plan = package_with(gateway, "REMOTE_VIDEO")
    first_day = 170
    gap, visits = package["visitWindow"]["minDays"], package["schedule"]["visits"]
    for number in range(visits):
        open_one(gateway, package["clinic"]["slug"], first_day + gap * number)
    last_day = first_day + gap * (visits - 1)

    [start] = offered_on(gateway, package, first_day, "REMOTE_VIDEO")
    quote = quote_for(gateway, package, plan)
    proposed = data(gql(gateway, OPTIONS, {"quote": quote, "first": start}))["visitOptions"]
    call = proposed["followUp"]
    assert proposed["complete"] and call["kind"] == "REMOTE_VIDEO" and call["slot"] is None
    # Two to four weeks after the last visit, in the seed's consultation hours (09:00-12:00 Seoul).
    assert seoul_day(last_day + 14) <= call["start"][:10] <= seoul_day(last_day + 28)
    assert "09:00" <= call["start"][11:16] < "12:00" and call["start"].endswith("+09:00")
    booking = book_from(gateway, quote, start)
    assert booking["followUps"][0]["kind"] == "REMOTE_VIDEO"
    assert booking["followUps"][0]["start"] == call["start"]
