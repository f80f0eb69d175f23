"""Every visit of a treatment, found through the gateway in one call to the bookings service."""

from __future__ import annotations

from tests.support import ICEPICK, gql, open_slot_through, seoul_day

PLAN = """query V($q: ID!, $s: ID!) { visitOptions(quoteId: $q, firstSlotId: $s) {
  complete window { minDays maxDays source { kind } } visits { number earliest latest slot { id start } }
  trips { arriveBy departFrom visits } } }"""


def test_visit_options_propose_the_whole_series_in_one_upstream_call(gateway, count_calls):
    quote = gql(gateway, 'mutation { createQuote(input: {packageId: "%s"}) { quote { id } } }' % ICEPICK).json
    quote = quote["data"]["createQuote"]["quote"]["id"]
    first = open_slot_through(gateway, 200, "06:05")
    second = open_slot_through(gateway, 231, "06:05")
    third = open_slot_through(gateway, 262, "06:05")
    count_calls.clear()
    plan = gql(gateway, PLAN, {"q": quote, "s": first}).json["data"]["visitOptions"]
    assert dict(count_calls) == {"bookings": 1}  # the service reads the quote and every window itself
    assert [v["slot"]["id"] for v in plan["visits"]] == [first, second, third]
    assert plan["visits"][2]["earliest"] == seoul_day(231 + 28) and plan["visits"][2]["latest"] == seoul_day(231 + 42)
    assert plan["complete"] and len(plan["trips"]) == 3
    assert plan["window"] == {"minDays": 28, "maxDays": 42, "source": {"kind": "SAMPLE"}}
