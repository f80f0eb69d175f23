"""What a partner's acceptance run found, one test per defect, through the gateway over the real services."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from icalendar import Calendar

from services.packages.seed import seed_id
from tests.support import AGENCY_KEY, ORACLE_KEY, book_through, gql, open_later_through, seoul_day

ICEPICK = str(seed_id("oracle-icepick-tca-co2"))
PATIENT = {
    "name": "Kenji Sato",
    "email": "kenji@example.com",
    "nationality": "JP",
    "preferredLanguage": "ja",
    "homeTimeZone": "Asia/Tokyo",
    "fitzpatrickSkinType": "III",
    "isotretinoinLast6Months": False,
    "activeAcne": False,
}
QUOTE = """mutation Q($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id } errors { code } } }"""
OPEN_SLOTS = """mutation O($input: OpenSlotsInput!) { openSlots(input: $input) {
  slots { id start } created skipped errors { field code message } } }"""
EVERY_DAY = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
BOOK = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
  booking { reference total { amount currency rate asOf } } errors { field code message } } }"""
CANCEL = """mutation C($ref: String!) { cancelBooking(reference: $ref) {
  booking { refund { percent amount { amount currency krw rate asOf } } } errors { code } } }"""


def book_in(gateway, currency: str, days: int = 40) -> dict:
    quote = gql(gateway, QUOTE, {"input": {"packageId": ICEPICK, "currency": currency}}).json["data"]["createQuote"][
        "quote"
    ]
    at = f"{7 + uuid.uuid4().int % 12:02d}:{uuid.uuid4().int % 60:02d}"
    slot = gql(
        gateway,
        OPEN_SLOTS,
        {
            "input": {
                "clinic": "oracle-skin-clinic",
                "packageId": ICEPICK,
                "from": seoul_day(days),
                "to": seoul_day(days),
                "weekdays": EVERY_DAY,
                "times": [at],
                "capacity": 1,
            }
        },
        key=ORACLE_KEY,
    ).json["data"]["openSlots"]["slots"][0]
    open_later_through(gateway, days, at)
    made = book_through(gateway, BOOK, quote["id"], slot["id"], PATIENT)
    assert made["errors"] == [], made
    return made["booking"]


def test_a_refund_carries_the_rate_and_date_of_the_booking_it_refunds(gateway):
    booking = book_in(gateway, "JPY")
    refund = gql(gateway, CANCEL, {"ref": booking["reference"]}, key=AGENCY_KEY).json["data"]["cancelBooking"][
        "booking"
    ]["refund"]
    assert refund["percent"] == 100
    paid, back = booking["total"], refund["amount"]
    assert back["currency"] == "JPY" and back["amount"] == paid["amount"]
    assert (back["rate"], back["asOf"]) == (paid["rate"], paid["asOf"])
    assert back["rate"] not in ("", None)


AVAILABILITY = """query A($id: ID!, $from: Date!, $to: Date!, $first: Int! = 100, $after: String) {
  availableSlots(packageId: $id, from: $from, to: $to, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id start } } } }"""


def test_a_far_future_or_backwards_range_is_refused_by_name_not_reported_as_an_outage(gateway):
    for first, last in (("2026-01-01", "9999-12-31"), (seoul_day(10), seoul_day(2))):
        answer = gql(gateway, AVAILABILITY, {"id": ICEPICK, "from": first, "to": last}).json
        error = answer["errors"][0]["extensions"]
        assert error["code"] == "VALIDATION_FAILED", answer
        assert [e["field"] for e in error["errors"]] == ["to"]
    rule = {
        "clinic": "oracle-skin-clinic",
        "from": "9999-12-01",
        "to": "9999-12-31",
        "weekdays": EVERY_DAY,
        "times": ["10:00"],
        "capacity": 1,
    }
    opened = gql(gateway, OPEN_SLOTS, {"input": rule}, key=ORACLE_KEY).json["data"]["openSlots"]
    assert opened["created"] == 0 and [(e["field"], e["code"]) for e in opened["errors"]] == [
        ("to", "VALIDATION_FAILED")
    ]


def test_opening_slots_on_a_past_date_reports_each_passed_time(gateway):
    rule = {
        "clinic": "oracle-skin-clinic",
        "from": seoul_day(-3),
        "to": seoul_day(-2),
        "weekdays": EVERY_DAY,
        "times": ["09:00", "15:30"],
        "capacity": 2,
    }
    opened = gql(gateway, OPEN_SLOTS, {"input": rule}, key=ORACLE_KEY).json["data"]["openSlots"]
    assert (opened["created"], opened["skipped"]) == (0, 0)
    assert [(e["field"], e["code"]) for e in opened["errors"]] == [
        ("times[0]", "SLOT_IN_PAST"),
        ("times[1]", "SLOT_IN_PAST"),
    ] * 2
    assert opened["errors"][0]["message"] == f"{seoul_day(-3)} 09:00 (Seoul) has already passed"


def test_messages_a_partner_sees_speak_of_api_keys_roles_and_input_paths(gateway):
    quote = gql(gateway, QUOTE, {"input": {"packageId": ICEPICK}}).json["data"]["createQuote"]["quote"]
    anonymous = gql(
        gateway,
        BOOK,
        {"input": {"quoteId": quote["id"], "slotId": "0" * 24, "patient": PATIENT, "idempotencyKey": "k"}},
    ).json["errors"][0]
    assert anonymous["extensions"]["code"] == "UNAUTHENTICATED"
    assert "API key" in anonymous["message"] and "service token" not in anonymous["message"]
    bad_key = gql(
        gateway,
        BOOK,
        {"input": {"quoteId": quote["id"], "slotId": "0" * 24, "patient": PATIENT, "idempotencyKey": "ключ"}},
        key=AGENCY_KEY,
    ).json["data"]["createBooking"]
    assert [e["field"] for e in bad_key["errors"]] == ["idempotencyKey"]
    booking = book_in(gateway, "KRW", days=41)
    confirm = """mutation C($ref: String!) { confirmBooking(reference: $ref) { booking { status } errors { code } } }"""
    refused = gql(gateway, confirm, {"ref": booking["reference"]}, key=AGENCY_KEY).json["errors"][0]
    assert refused["message"] == "An agency may not confirm a booking; the clinic's admin or a platform admin may."


def test_an_idempotent_replay_says_it_is_one(gateway):
    quote = gql(gateway, QUOTE, {"input": {"packageId": ICEPICK}}).json["data"]["createQuote"]["quote"]
    slot = gql(
        gateway,
        OPEN_SLOTS,
        {
            "input": {
                "clinic": "oracle-skin-clinic",
                "packageId": ICEPICK,
                "from": seoul_day(42),
                "to": seoul_day(42),
                "weekdays": EVERY_DAY,
                "times": ["18:45"],
                "capacity": 2,
            }
        },
        key=ORACLE_KEY,
    ).json["data"]["openSlots"]["slots"]
    open_later_through(gateway, 42, "18:45")
    slot_id = (
        slot[0]["id"]
        if slot
        else gql(gateway, AVAILABILITY, {"id": ICEPICK, "from": seoul_day(42), "to": seoul_day(42)}).json["data"][
            "availableSlots"
        ]["edges"][0]["node"]["id"]
    )
    replayable = BOOK.replace("booking { reference", "replayed booking { reference")
    variables = {
        "input": {"quoteId": quote["id"], "slotId": slot_id, "patient": PATIENT, "idempotencyKey": uuid.uuid4().hex}
    }
    first = gql(gateway, replayable, variables, key=AGENCY_KEY).json["data"]["createBooking"]
    again = gql(gateway, replayable, variables, key=AGENCY_KEY).json["data"]["createBooking"]
    assert first["errors"] == [] and (first["replayed"], again["replayed"]) == (False, True)
    assert again["booking"]["reference"] == first["booking"]["reference"]


def test_an_overlong_argument_is_refused_by_name_before_any_service_is_called(gateway, count_calls):
    long = "x" * 5000
    cases = [
        ('{ clinic(slug: "%s") { slug } }' % long, None, "slug"),
        ("query B($r: String!) { booking(reference: $r) { reference } }", {"r": long}, "reference"),
        ('{ package(id: "%s") { id } }' % long, None, "id"),
        ("query Q($id: ID!) { quote(id: $id) { id } }", {"id": long}, "id"),
        ('{ clinics(first: 5, filter: {search: "%s"}) { totalCount } }' % long, None, "filter.search"),
        ('{ clinics(first: 5, after: "%s") { totalCount } }' % long, None, "after"),
        ("query L($lang: String) { scarTypes(lang: $lang) { code } }", {"lang": long}, "lang"),
    ]
    for query, variables, argument in cases:
        answer = gql(gateway, query, variables, key=AGENCY_KEY).json
        error = answer["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (argument, answer)
        assert error["extensions"]["argument"] == argument and "at most" in error["message"], error
    assert sum(count_calls.values()) == 0


ASAN_PACKAGES = """{ packages(first: 1, filter: {clinic: ["asan-medical-center"]}) { edges { node { id } } } }"""
REACH = """query R($id: ID!) { package(id: $id) { visitWindow { maxDays } schedule { visits } } }"""


def open_later_visits(gateway, package: str, last_day: int) -> None:
    """A seat a day at 12:00 after ``last_day`` as far as the package's later visits reach, so that every start
    up to ``last_day`` is the start of a whole plan (availability offers no other)."""
    from tests.support import ASAN_KEY

    reach = gql(gateway, REACH, {"id": package}).json["data"]["package"]
    days = {
        "from": seoul_day(last_day + 1),
        "to": seoul_day(last_day + (reach["schedule"]["visits"] - 1) * reach["visitWindow"]["maxDays"]),
    }
    rule = {
        "clinic": "asan-medical-center",
        "packageId": package,
        **days,
        "weekdays": EVERY_DAY,
        "times": ["12:00"],
        "capacity": 1,
    }
    assert gql(gateway, OPEN_SLOTS, {"input": rule}, key=ASAN_KEY).json["data"]["openSlots"]["errors"] == []


def test_availability_pages_past_200_slots_with_a_total(gateway):
    from tests.support import ASAN_KEY

    package = gql(gateway, ASAN_PACKAGES).json["data"]["packages"]["edges"][0]["node"]["id"]
    rule = {
        "clinic": "asan-medical-center",
        "packageId": package,
        "from": seoul_day(200),
        "to": seoul_day(260),
        "weekdays": EVERY_DAY,
        "times": ["09:00", "10:00", "11:00", "13:00", "14:00"],
        "capacity": 1,
    }
    assert gql(gateway, OPEN_SLOTS, {"input": rule}, key=ASAN_KEY).json["data"]["openSlots"]["errors"] == []
    open_later_visits(gateway, package, 260)
    seen, after, total = [], None, None
    while True:
        page = gql(
            gateway,
            AVAILABILITY,
            {"id": package, "from": seoul_day(200), "to": seoul_day(260), "first": 100, "after": after},
        ).json["data"]["availableSlots"]
        total = page["totalCount"]
        seen += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert total == len(seen) >= 61 * 5 > 200
    assert len({slot["id"] for slot in seen}) == len(seen)
    assert [slot["start"] for slot in seen] == sorted(slot["start"] for slot in seen)


def test_a_client_written_against_the_released_schema_still_reads_availability_as_a_list(gateway):
    """``availability`` keeps the shape partners were first given (a list, no ``first``), deprecated in favour
    of ``availableSlots``: the first 100 slots by start, as the new field's first page gives them."""
    from tests.support import ASAN_KEY

    package = gql(gateway, ASAN_PACKAGES).json["data"]["packages"]["edges"][0]["node"]["id"]
    days = {"from": seoul_day(270), "to": seoul_day(300)}
    rule = {"clinic": "asan-medical-center", "packageId": package, **days, "weekdays": EVERY_DAY}
    opened = gql(
        gateway,
        OPEN_SLOTS,
        {"input": {**rule, "times": ["08:00", "15:00", "16:00", "17:00"], "capacity": 1}},
        key=ASAN_KEY,
    )
    assert opened.json["data"]["openSlots"]["errors"] == []
    open_later_visits(gateway, package, 300)
    released = """query Slots($id: ID!, $from: Date!, $to: Date!) { availability(packageId: $id, from: $from, to: $to) {
      id start } }"""
    listed = gql(gateway, released, {"id": package, **days}).json
    assert "errors" not in listed, listed
    page = gql(gateway, AVAILABILITY, {"id": package, **days, "first": 100}).json["data"]["availableSlots"]
    assert page["totalCount"] > 100
    assert listed["data"]["availability"] == [edge["node"] for edge in page["edges"]]
    field = gql(
        gateway, '{ __type(name: "Query") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }'
    )
    deprecated = {f["name"]: f for f in field.json["data"]["__type"]["fields"]}["availability"]
    assert deprecated["isDeprecated"] and "availableSlots" in deprecated["deprecationReason"]


def test_a_clinic_admin_sees_its_full_slots_that_availability_no_longer_offers(gateway):
    booking = book_in(gateway, "KRW", days=43)
    listing = """query S($from: Date!, $to: Date!, $status: SlotStatus) { slots(filter: {from: $from, to: $to, status: $status},
      first: 100) { totalCount edges { node { id status booked free } } } }"""
    full = gql(gateway, listing, {"from": seoul_day(43), "to": seoul_day(43), "status": "BUSY"}, key=ORACLE_KEY).json
    assert "errors" not in full, full
    busy = [edge["node"] for edge in full["data"]["slots"]["edges"]]
    assert busy and all((s["status"], s["free"]) == ("BUSY", 0) for s in busy)
    offered = gql(gateway, AVAILABILITY, {"id": ICEPICK, "from": seoul_day(43), "to": seoul_day(43)}).json["data"][
        "availableSlots"
    ]
    assert not {s["id"] for s in busy} & {edge["node"]["id"] for edge in offered["edges"]}
    assert booking["reference"]
    # Another clinic's admin, an agency and an anonymous caller do not see Oracle's slots.
    from tests.support import ASAN_KEY

    for key in (ASAN_KEY, AGENCY_KEY, None):
        answer = gql(
            gateway,
            listing.replace("slots(filter", 'slots(clinic: "oracle-skin-clinic", filter'),
            {"from": seoul_day(43), "to": seoul_day(43)},
            key=key,
        ).json
        assert answer["data"] is None and answer["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")


QUOTE_READ = """query R($id: ID!) { quote(id: $id) { id } }"""


def test_a_quote_belongs_to_the_caller_that_made_it_and_ids_cannot_be_guessed(gateway):
    from tests.support import OTHER_AGENCY_KEY

    ids = [
        gql(gateway, QUOTE, {"input": {"packageId": ICEPICK}}, key=AGENCY_KEY).json["data"]["createQuote"]["quote"][
            "id"
        ]
        for _ in range(3)
    ]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids) and len(set(ids)) == 3
    assert len({i[:8] for i in ids}) == 3  # no shared prefix: not a counter, not a timestamp
    mine = ids[0]
    assert gql(gateway, QUOTE_READ, {"id": mine}, key=AGENCY_KEY).json["data"]["quote"]["id"] == mine
    for key in (OTHER_AGENCY_KEY, None):  # another agency, or anyone else, does not find it
        assert gql(gateway, QUOTE_READ, {"id": mine}, key=key).json["data"]["quote"] is None
    slot = gql(
        gateway,
        OPEN_SLOTS,
        {
            "input": {
                "clinic": "oracle-skin-clinic",
                "packageId": ICEPICK,
                "from": seoul_day(44),
                "to": seoul_day(44),
                "weekdays": EVERY_DAY,
                "times": ["08:10"],
                "capacity": 3,
            }
        },
        key=ORACLE_KEY,
    ).json["data"]["openSlots"]["slots"][0]
    stolen = gql(
        gateway,
        BOOK,
        {"input": {"quoteId": mine, "slotId": slot["id"], "patient": PATIENT, "idempotencyKey": uuid.uuid4().hex}},
        key=OTHER_AGENCY_KEY,
    ).json["data"]["createBooking"]
    assert stolen["booking"] is None and stolen["errors"][0]["code"] == "UNKNOWN_QUOTE"


def test_two_agencies_racing_for_an_anonymous_quote_leave_it_with_one(gateway):
    from concurrent.futures import ThreadPoolExecutor

    from tests.support import OTHER_AGENCY_KEY

    handed = gql(gateway, QUOTE, {"input": {"packageId": ICEPICK}}).json["data"]["createQuote"]["quote"]["id"]
    assert gql(gateway, QUOTE_READ, {"id": handed}).json["data"]["quote"]["id"] == handed  # whoever holds the id
    slots = gql(
        gateway,
        OPEN_SLOTS,
        {
            "input": {
                "clinic": "oracle-skin-clinic",
                "packageId": ICEPICK,
                "from": seoul_day(45),
                "to": seoul_day(45),
                "weekdays": EVERY_DAY,
                "times": ["08:20", "08:40"],
                "capacity": 3,
            }
        },
        key=ORACLE_KEY,
    ).json["data"]["openSlots"]["slots"]
    open_later_through(gateway, 45, "08:20")

    def attempt(key_and_slot):
        key, slot = key_and_slot
        return key, gql(
            gateway,
            BOOK,
            {
                "input": {
                    "quoteId": handed,
                    "slotId": slot["id"],
                    "patient": PATIENT,
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
            key=key,
        ).json["data"]["createBooking"]

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(attempt, [(AGENCY_KEY, slots[0]), (OTHER_AGENCY_KEY, slots[1])]))
    winners = [key for key, made in results if made["booking"]]
    losers = [made["errors"][0]["code"] for key, made in results if not made["booking"]]
    assert len(winners) == 1 and losers in (["UNKNOWN_QUOTE"], ["QUOTE_ALREADY_LOCKED"])
    loser = OTHER_AGENCY_KEY if winners == [AGENCY_KEY] else AGENCY_KEY
    assert gql(gateway, QUOTE_READ, {"id": handed}, key=winners[0]).json["data"]["quote"]["id"] == handed
    for key in (loser, None):
        assert gql(gateway, QUOTE_READ, {"id": handed}, key=key).json["data"]["quote"] is None


SEED = Path(__file__).resolve().parents[2] / "seed"
PROCEDURES = {p["code"]: p for p in json.loads((SEED / "catalogue" / "procedures.json").read_text(encoding="utf-8"))}
CARE_PLAN = """query P($ref: String!, $lang: String) { booking(reference: $ref) {
  carePlan(lang: $lang) { lang events { kind code title detail } ical } } }"""


def care_plan(gateway, reference: str, lang: str | None = None, headers: dict | None = None) -> dict:
    answer = gql(gateway, CARE_PLAN, {"ref": reference, "lang": lang}, key=AGENCY_KEY, headers=headers).json
    assert "errors" not in answer, answer
    return answer["data"]["booking"]["carePlan"]


def test_a_care_plan_reads_in_the_language_asked_for_with_the_procedures_names(gateway):
    reference = book_in(gateway, "KRW", days=43)["reference"]
    english = care_plan(gateway, reference)
    first_visit = next(e for e in english["events"] if e["kind"] == "VISIT")
    assert first_visit["title"] == "Visit 1 of 3: TCA CROSS (chemical reconstruction), Fractional CO₂ laser"
    for lang, headers in (("ja", None), (None, {"Accept-Language": "ko"})):
        plan = care_plan(gateway, reference, lang, headers)
        want = lang or "ko"
        assert plan["lang"] == want
        names = [PROCEDURES[code]["name"][want] for code in ("TCA_CROSS", "FRACTIONAL_CO2_LASER")]
        visits = [e for e in plan["events"] if e["kind"] == "VISIT"]
        assert len(visits) == 3 and all(all(name in v["title"] for name in names) for v in visits), visits
        assert all("Visit" not in v["title"] for v in visits)
        ours = [PROCEDURES[code] for code in ("TCA_CROSS", "FRACTIONAL_CO2_LASER")]
        for event in plan["events"]:
            assert event["title"] not in {e["title"] for e in english["events"]}, event
            if event["kind"] == "PREPARATION":
                assert any(
                    s["instruction"][want] in event["title"]
                    for p in ours
                    for s in p["preparation"]
                    if s["code"] == event["code"]
                )
            if event["kind"] == "RECOVERY":
                assert event["detail"] in {
                    r["expectation"][want] for p in ours for r in p["recovery"] if r["phase"] == event["code"]
                }
        summaries = [str(event["SUMMARY"]) for event in Calendar.from_ical(plan["ical"]).walk("VEVENT")]
        assert summaries == [event["title"] for event in plan["events"]]


def test_comparison_row_labels_and_procedures_read_in_the_language_asked_for(gateway):
    labels = json.loads((SEED / "texts" / "comparison.json").read_text(encoding="utf-8"))
    assert labels["source"] == "sample"
    compare = """query C($ids: [ID!]!, $slugs: [String!]!, $lang: String) {
      comparePackages(ids: $ids, lang: $lang) { rows { fact label values { text } } }
      compareClinics(slugs: $slugs, lang: $lang) { rows { fact label } } }"""
    variables = {"ids": [ICEPICK], "slugs": ["oracle-skin-clinic", "asan-medical-center"]}
    english = gql(gateway, compare, variables).json["data"]
    japanese = gql(gateway, compare, {**variables, "lang": "ja"}).json["data"]
    for name in ("comparePackages", "compareClinics"):
        for en, ja in zip(english[name]["rows"], japanese[name]["rows"], strict=True):
            assert en["fact"] == ja["fact"] and en["label"] != ja["label"], (en, ja)
            template = labels["texts"][f"{name}.{ja['fact']}"]
            assert ja["label"] == template["ja"].format(currency="KRW"), ja
    procedures = next(r for r in japanese["comparePackages"]["rows"] if r["fact"] == "PROCEDURES")["values"][0]["text"]
    assert procedures == "、".join(PROCEDURES[code]["name"]["ja"] for code in ("TCA_CROSS", "FRACTIONAL_CO2_LASER"))
