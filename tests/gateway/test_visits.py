"""Every visit of a treatment, found through the gateway in one call to the bookings service."""

from __future__ import annotations

import uuid

from services.packages.seed import seed_id
from tests.support import AGENCY_KEY, ASAN_KEY, ICEPICK, ORACLE_KEY, PATIENT, gql, open_slot_through, seoul_day

PLAN = """query V($q: ID!, $s: ID!) { visitOptions(quoteId: $q, firstSlotId: $s) {
  complete window { minDays maxDays source { kind } } visits { number earliest latest slot { id start } }
  trips { arriveBy departFrom visits } } }"""


def test_visit_options_propose_the_whole_series_in_one_upstream_call(gateway, count_calls):
    quote = gql(gateway, 'mutation { createQuote(input: {packageId: "%s"}) { quote { id } } }' % ICEPICK).json
    quote = quote["data"]["createQuote"]["quote"]["id"]
    first = open_slot_through(gateway, 200, "06:05", later=())
    second = open_slot_through(gateway, 231, "06:05", later=())
    third = open_slot_through(gateway, 262, "06:05", later=())
    count_calls.clear()
    plan = gql(gateway, PLAN, {"q": quote, "s": first}).json["data"]["visitOptions"]
    assert dict(count_calls) == {"bookings": 1}  # the service reads the quote and every window itself
    assert [v["slot"]["id"] for v in plan["visits"]] == [first, second, third]
    assert plan["visits"][2]["earliest"] == seoul_day(231 + 28) and plan["visits"][2]["latest"] == seoul_day(231 + 42)
    assert plan["complete"] and len(plan["trips"]) == 3
    assert plan["window"] == {"minDays": 28, "maxDays": 42, "source": {"kind": "SAMPLE"}}


def test_the_proposed_series_is_booked_whole_and_the_care_plan_follows_it(gateway):
    quote = gql(gateway, 'mutation { createQuote(input: {packageId: "%s"}) { quote { id } } }' % ICEPICK).json
    quote = quote["data"]["createQuote"]["quote"]["id"]
    # Each later visit on the first day of its window (28 to 42 days after the one before), so that no slot
    # another test opens inside those windows comes first.
    first = open_slot_through(gateway, 280, "06:35", later=())
    later = [
        open_slot_through(gateway, 280 + 28, "06:35", later=()),
        open_slot_through(gateway, 280 + 28 + 28, "06:35", later=()),
    ]
    plan = gql(gateway, PLAN, {"q": quote, "s": first}).json["data"]["visitOptions"]
    proposed = [v["slot"]["id"] for v in plan["visits"][1:]]
    assert proposed == later
    document = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
      booking { reference visits { number slotId start } carePlan { events { kind start { seoul } } } } errors { field code } } }"""
    made = gql(
        gateway,
        document,
        {
            "input": {
                "quoteId": quote,
                "slotId": first,
                "laterSlotIds": proposed,
                "patient": PATIENT,
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
        key=AGENCY_KEY,
    ).json["data"]["createBooking"]
    assert made["errors"] == [], made
    visits = made["booking"]["visits"]
    assert [v["slotId"] for v in visits] == [first, *later]
    assert [e["start"]["seoul"] for e in made["booking"]["carePlan"]["events"] if e["kind"] == "VISIT"] == [
        v["start"] for v in visits
    ]


def test_a_series_held_at_checkout_becomes_the_booking(gateway):
    quote = gql(gateway, 'mutation { createQuote(input: {packageId: "%s"}) { quote { id } } }' % ICEPICK).json
    quote = quote["data"]["createQuote"]["quote"]["id"]
    slots = [open_slot_through(gateway, 310 + day, "07:15", later=()) for day in (0, 30, 60)]
    held = gql(
        gateway,
        """mutation H($input: HoldVisitsInput!) { holdVisits(input: $input) {
      hold { id expiresAt visits { number slotId } } errors { field code } } }""",
        {"input": {"quoteId": quote, "slotIds": slots, "idempotencyKey": uuid.uuid4().hex}},
        key=AGENCY_KEY,
    ).json
    hold = held["data"]["holdVisits"]["hold"]
    assert held["data"]["holdVisits"]["errors"] == [] and [v["slotId"] for v in hold["visits"]] == slots
    document = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
      booking { visits { slotId } } errors { field code } } }"""
    made = gql(
        gateway,
        document,
        {"input": {"holdId": hold["id"], "patient": PATIENT, "idempotencyKey": uuid.uuid4().hex}},
        key=AGENCY_KEY,
    ).json["data"]["createBooking"]
    assert made["errors"] == [] and [v["slotId"] for v in made["booking"]["visits"]] == slots
    release = gql(
        gateway, 'mutation { releaseHold(id: "%s") { released errors { code } } }' % hold["id"], key=AGENCY_KEY
    ).json
    assert release["data"]["releaseHold"] == {
        "released": False,
        "errors": [{"code": "HOLD_ALREADY_BOOKED"}],
    }  # it is a booking now


def test_a_hold_holds_the_follow_ups_and_its_booking_keeps_them(gateway):
    quote = gql(
        gateway,
        'mutation { createQuote(input: {packageId: "%s", followUpPlan: "VIDEO_3"}) { quote { id } } }' % ICEPICK,
    ).json["data"]["createQuote"]["quote"]["id"]
    slots = [open_slot_through(gateway, 320 + day, "07:25", later=()) for day in (0, 30, 60)]
    held = gql(
        gateway,
        """mutation H($input: HoldVisitsInput!) { holdVisits(input: $input) {
      hold { id followUps { number kind status start startHome durationMinutes } } errors { field code } } }""",
        {"input": {"quoteId": quote, "slotIds": slots, "idempotencyKey": uuid.uuid4().hex}},
        key=AGENCY_KEY,
    ).json["data"]["holdVisits"]
    assert held["errors"] == [], held
    follow_ups = held["hold"]["followUps"]
    assert [(f["number"], f["kind"], f["status"], f["startHome"]) for f in follow_ups] == [
        (n, "REMOTE_VIDEO", None, None)
        for n in (1, 2, 3)  # no patient yet: no home time, and not booked
    ]
    made = gql(
        gateway,
        """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
      booking { followUps { number status start } } errors { field code } } }""",
        {"input": {"holdId": held["hold"]["id"], "patient": PATIENT, "idempotencyKey": uuid.uuid4().hex}},
        key=AGENCY_KEY,
    ).json["data"]["createBooking"]
    assert made["errors"] == [], made
    assert made["booking"]["followUps"] == [
        {"number": f["number"], "status": "BOOKED", "start": f["start"]} for f in follow_ups
    ]


def test_a_hold_with_an_idempotency_key_no_header_can_carry_is_refused_by_name(gateway):
    answer = gql(
        gateway,
        "mutation H($input: HoldVisitsInput!) { holdVisits(input: $input) { hold { id } errors { field code } } }",
        {"input": {"quoteId": "x", "slotIds": ["y"], "idempotencyKey": "Ā"}},
        key=AGENCY_KEY,
    ).json
    assert "errors" not in answer
    assert answer["data"]["holdVisits"] == {
        "hold": None,
        "errors": [{"field": "idempotencyKey", "code": "VALIDATION_FAILED"}],
    }


SERIES = """{ reference status visits { number slotId start status procedures }
  history { from to visit moved { from to slotId } by } refund { visitsRefunded visits percent }
  carePlan { trips { visits } events { kind visit start { seoul } } } }"""


def test_each_visit_is_marked_and_moved_on_its_own_through_the_gateway(gateway, count_calls):
    quote = gql(gateway, 'mutation { createQuote(input: {packageId: "%s"}) { quote { id } } }' % ICEPICK).json
    quote = quote["data"]["createQuote"]["quote"]["id"]
    slots = [open_slot_through(gateway, 320 + day, "07:45", later=()) for day in (0, 30, 60)]
    made = gql(
        gateway,
        "mutation B($input: CreateBookingInput!) { createBooking(input: $input) { booking %s errors { code } } }"
        % SERIES,
        {
            "input": {
                "quoteId": quote,
                "slotId": slots[0],
                "laterSlotIds": slots[1:],
                "patient": PATIENT,
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
        key=AGENCY_KEY,
    ).json["data"]["createBooking"]
    reference = made["booking"]["reference"]
    for document in (
        "confirmBooking(reference: $r)",
        "markArrived(reference: $r, visit: 1)",
        "markFulfilled(reference: $r)",
    ):
        step = gql(
            gateway, "mutation S($r: String!) { %s { errors { code } } }" % document, {"r": reference}, key=ORACLE_KEY
        )
        assert step.json["data"], step.json
    later = open_slot_through(gateway, 320 + 60 + 5, "09:15", later=())
    count_calls.clear()
    moved = gql(
        gateway,
        "mutation M($input: RescheduleVisitInput!) { rescheduleVisit(input: $input) { booking %s errors { code } } }"
        % SERIES,
        {"input": {"reference": reference, "visit": 3, "slotId": later, "idempotencyKey": uuid.uuid4().hex}},
        key=AGENCY_KEY,
    ).json["data"]["rescheduleVisit"]
    assert moved["errors"] == [] and dict(count_calls) == {"bookings": 2}  # the move, then the care plan
    booking = moved["booking"]
    assert [(v["slotId"], v["status"]) for v in booking["visits"]] == [
        (slots[0], "FULFILLED"),
        (slots[1], "BOOKED"),
        (later, "BOOKED"),
    ]
    assert booking["status"] == "BOOKED" and booking["history"][-1]["moved"]["slotId"] == later
    visits = [e["start"]["seoul"] for e in booking["carePlan"]["events"] if e["kind"] == "VISIT"]
    assert visits == [v["start"] for v in booking["visits"]]
    refused = gql(
        gateway,
        "mutation M($input: RescheduleVisitInput!) { rescheduleVisit(input: $input) { booking { reference } errors { field code } } }",
        {"input": {"reference": reference, "visit": 1, "slotId": later, "idempotencyKey": uuid.uuid4().hex}},
        key=AGENCY_KEY,
    ).json["data"]["rescheduleVisit"]
    assert refused == {"booking": None, "errors": [{"field": "visit", "code": "INVALID_TRANSITION"}]}  # it took place
    cancelled = gql(
        gateway, 'mutation { cancelBooking(reference: "%s") { booking %s } }' % (reference, SERIES), key=AGENCY_KEY
    ).json["data"]["cancelBooking"]["booking"]
    assert [v["status"] for v in cancelled["visits"]] == ["FULFILLED", "CANCELLED", "CANCELLED"]
    assert cancelled["refund"]["visitsRefunded"] == 2 and cancelled["refund"]["visits"] == 3


def test_a_series_that_does_not_fit_the_patients_trips_names_each_visit(gateway):
    quote = gql(gateway, 'mutation { createQuote(input: {packageId: "%s"}) { quote { id } } }' % ICEPICK).json
    quote = quote["data"]["createQuote"]["quote"]["id"]
    slots = [open_slot_through(gateway, 330 + day, "08:05", later=()) for day in (0, 30, 60)]
    travel = [{"arrive": seoul_day(329), "depart": seoul_day(340)}]  # the first visit's trip only
    made = gql(
        gateway,
        """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
          booking { reference travel { arrive depart } } errors { field code } } }""",
        {
            "input": {
                "quoteId": quote,
                "slotId": slots[0],
                "laterSlotIds": slots[1:],
                "travel": travel,
                "patient": PATIENT,
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
        key=AGENCY_KEY,
    ).json["data"]["createBooking"]
    assert made == {
        "booking": None,
        "errors": [
            {"field": "laterSlotIds[0]", "code": "TRIP_TOO_SHORT"},
            {"field": "laterSlotIds[1]", "code": "TRIP_TOO_SHORT"},
        ],
    }


FITS = """query F($trip: FitsTripInput!) { packages(first: 10, filter: {clinic: ["asan-medical-center"], fitsTrip: $trip}) {
  totalCount pageInfo { hasNextPage } edges { node { id schedule { visits tripsNeeded } minimumStayDays } } } }"""


def test_packages_that_fit_a_trip_are_found_in_a_bounded_number_of_calls(gateway, count_calls):
    trip = {"arrive": seoul_day(380), "depart": seoul_day(390)}
    count_calls.clear()
    before = gql(gateway, FITS, {"trip": trip}).json["data"]["packages"]
    assert before["edges"] == [] and not before["pageInfo"]["hasNextPage"] and before["totalCount"] >= 1
    assert dict(count_calls) == {"packages": 1, "bookings": 1}  # one page of matches, asked in one call
    open_slot_through(gateway, 382, "10:20", clinic="asan-medical-center", key=ASAN_KEY, later=())
    found = gql(gateway, FITS, {"trip": trip}).json["data"]["packages"]["edges"]
    subcision = str(seed_id("asan-subcision-filler"))
    assert subcision in {edge["node"]["id"] for edge in found}  # the clinic's slot serves each of its packages
    node = next(edge["node"] for edge in found if edge["node"]["id"] == subcision)
    assert node["minimumStayDays"] == 7 and node["schedule"]["tripsNeeded"] == node["schedule"]["visits"] == 2
    short = gql(gateway, FITS, {"trip": {"arrive": seoul_day(381), "depart": seoul_day(388)}}).json
    assert short["data"]["packages"]["edges"] == []  # the week's stay after day 382 would end after departing


def test_a_trip_with_an_interpreter_fits_only_where_one_is_free_at_each_visit(gateway):
    trip = {"arrive": seoul_day(392), "depart": seoul_day(402)}
    subcision = str(seed_id("asan-subcision-filler"))

    def fitting(**more) -> set[str]:
        edges = gql(gateway, FITS, {"trip": {**trip, **more}}).json["data"]["packages"]["edges"]
        return {edge["node"]["id"] for edge in edges}

    # A seat at 21:00, after every Russian interpreter's hours: the trip fits, but not with one.
    open_slot_through(gateway, 394, "21:00", clinic="asan-medical-center", key=ASAN_KEY, later=())
    assert subcision in fitting()
    assert subcision not in fitting(interpreterLanguage="ru")
    # A seat in her hours: it fits with her too; no package offers a Japanese interpreter at Asan.
    open_slot_through(gateway, 394, "10:00", clinic="asan-medical-center", key=ASAN_KEY, later=())
    assert subcision in fitting(interpreterLanguage="ru")
    assert fitting(interpreterLanguage="ja") == set()


def test_a_trip_too_long_to_fit_is_refused_by_the_bookings_service_naming_the_argument(gateway):
    long = gql(gateway, FITS, {"trip": {"arrive": seoul_day(300), "depart": seoul_day(361)}}).json
    error = long["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "filter.fitsTrip.depart"}, long
    assert "at most 60 days" in error["message"]
