"""Interpreters through the gateway: a booking in Japanese shows who interprets each visit, and a clinic's
admins and the platform's manage interpreters and providers."""

from __future__ import annotations

import uuid

from tests.support import (
    AGENCY_KEY,
    ASAN_KEY,
    ICEPICK,
    ORACLE_KEY,
    PATIENT,
    PLATFORM_KEY,
    gql,
    open_series_through,
)

QUOTE = "mutation Q($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id } } }"
BOOK = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
  booking { reference visits { number interpreter { name language provider credential { issuer expiresOn } } } }
  errors { field code } } }"""
CREATE = """mutation C($input: InterpreterInput!) { createInterpreter(input: $input) {
  interpreter { id provider name languages level capacity credentialValid hours { weekday from to } active }
  errors { field code } } }"""
UPDATE = """mutation U($id: ID!, $input: InterpreterChangesInput!) { updateInterpreter(id: $id, input: $input) {
  interpreter { id languages active } errors { field code } } }"""
LIST = "query L($provider: String) { interpreters(provider: $provider) { name languages provider } }"


def test_a_booking_in_japanese_shows_the_interpreter_of_each_visit(gateway):
    slot = open_series_through(gateway, ICEPICK, 240, "10:50", capacity=2)
    quote = gql(gateway, QUOTE, {"input": {"packageId": ICEPICK, "interpreterLanguage": "ja"}}, key=AGENCY_KEY).json
    booking = {
        "quoteId": quote["data"]["createQuote"]["quote"]["id"],
        "slotId": slot,
        "patient": PATIENT,
        "idempotencyKey": uuid.uuid4().hex,
    }
    made = gql(gateway, BOOK, {"input": booking}, key=AGENCY_KEY).json["data"]["createBooking"]
    assert made["errors"] == [], made
    assert [v["interpreter"] for v in made["booking"]["visits"]] == [
        {
            "name": "Aiko Tanaka",
            "language": "ja",
            "provider": "Seoul Medical Interpreters",
            "credential": {"issuer": "HRD Korea", "expiresOn": "2029-12-31"},
        }
    ] * 3


def test_a_clinics_admins_manage_their_own_interpreters_and_the_platform_a_providers(gateway):
    hours = [{"weekday": "MON", "from": "09:00", "to": "18:00"}]
    made = gql(
        gateway,
        CREATE,
        {"input": {"name": "Yui Sato", "languages": ["ja", "en"], "level": "IN_ROOM", "hours": hours}},
        key=ASAN_KEY,
    ).json["data"]["createInterpreter"]
    assert made["errors"] == [], made
    yui = made["interpreter"]
    assert (yui["provider"], yui["languages"], yui["capacity"], yui["credentialValid"]) == (
        "clinic:asan-medical-center",
        ["en", "ja"],
        1,
        False,
    )
    assert "Yui Sato" in {i["name"] for i in gql(gateway, LIST, {}, key=ASAN_KEY).json["data"]["interpreters"]}
    # Oracle's admins neither see nor change Asan's coordinators.
    assert (
        gql(gateway, LIST, {"provider": "clinic:asan-medical-center"}, key=ORACLE_KEY).json["errors"][0]["extensions"][
            "code"
        ]
        == "FORBIDDEN"
    )
    other = gql(gateway, UPDATE, {"id": yui["id"], "input": {"active": False}}, key=ORACLE_KEY).json
    assert other["data"]["updateInterpreter"]["errors"][0]["code"] == "NOT_FOUND"
    # An in-room interpreter serves one patient at a time.
    crowded = gql(gateway, UPDATE, {"id": yui["id"], "input": {"capacity": 3}}, key=ASAN_KEY).json
    assert crowded["data"]["updateInterpreter"]["errors"] == [{"field": "capacity", "code": "VALIDATION_FAILED"}]
    away = gql(gateway, UPDATE, {"id": yui["id"], "input": {"active": False}}, key=ASAN_KEY).json
    assert away["data"]["updateInterpreter"]["interpreter"]["active"] is False

    provider = gql(
        gateway,
        """mutation P($input: InterpreterProviderInput!) { createInterpreterProvider(input: $input) {
          provider { id kind clinics noticeHours weeklyCap } errors { code } } }""",
        {
            "input": {
                "id": "busan-interpreting",
                "name": "Busan Interpreting",
                "clinics": ["asan-medical-center"],
                "noticeHours": 48,
                "weeklyCap": 5,
            }
        },
        key=PLATFORM_KEY,
    ).json["data"]["createInterpreterProvider"]
    assert provider["provider"] == {
        "id": "busan-interpreting",
        "kind": "INTERPRETATION_PROVIDER",
        "clinics": ["asan-medical-center"],
        "noticeHours": 48,
        "weeklyCap": 5,
    }, provider
    joined = gql(
        gateway,
        CREATE,
        {"input": {"provider": "busan-interpreting", "name": "Tuya Bat", "languages": ["mn"], "level": "IN_ROOM"}},
        key=PLATFORM_KEY,
    ).json["data"]["createInterpreter"]
    assert joined["interpreter"]["provider"] == "busan-interpreting", joined
    # A clinic's admins cannot join an interpreter to a provider.
    refused = gql(
        gateway,
        CREATE,
        {"input": {"provider": "busan-interpreting", "name": "X", "languages": ["mn"], "level": "IN_ROOM"}},
        key=ASAN_KEY,
    ).json
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
