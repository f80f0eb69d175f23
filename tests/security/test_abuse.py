"""Abusive GraphQL (batches, cycles, oversized lists and bodies) is refused before it costs anything,
and no answer of any service or the gateway carries an internal host, port, URL or stack trace."""

from __future__ import annotations

import re

import requests

from tests.support import free_port, gql, running_service

LEAKS = re.compile(r"127\.0\.0\.1|localhost|https?://|mongodb|Traceback|File \"|\.py\b|:\d{4,5}\b")


def codes(answer) -> set[str]:
    return {e["extensions"]["code"] for e in answer.json["errors"]}


def test_batched_cyclic_and_oversized_graphql_is_refused(gateway, monkeypatch):
    from services.common import http

    calls = []

    async def called(*args, **kwargs):
        calls.append(args)
        raise AssertionError("a refused request reached a service")

    monkeypatch.setattr(http.AsyncServiceClient, "request", called)
    batch = gateway.post("/graphql", json=[{"query": "{ scarTypes { code } }"}] * 50)
    assert batch.status_code == 400 and "errors" in batch.json
    cycle = gql(gateway, "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
    assert codes(cycle) == {"GRAPHQL_VALIDATION_FAILED"}, cycle.json
    too_many = gql(gateway, "{ clinics(first: 1000) { edges { node { slug } } } }")
    assert codes(too_many) == {"BAD_USER_INPUT"} and too_many.json["data"] is None
    huge = gateway.post("/graphql", json={"query": "{ scarTypes { code } }", "padding": "x" * 200_000})
    assert huge.status_code == 413 and huge.json["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert calls == []  # none of it reached a service


def hostile_requests(base: str):
    yield requests.get(f"{base}/no/such/path", timeout=10)
    yield requests.delete(f"{base}/healthz", timeout=10)
    yield requests.post(f"{base}/clinics", data="{", headers={"Content-Type": "application/json"}, timeout=10)
    yield requests.post(
        f"{base}/clinics", data="a=1", headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10
    )
    yield requests.post(f"{base}/clinics", data="x" * 300_000, headers={"Content-Type": "application/json"}, timeout=10)
    yield requests.get(f"{base}/clinics", headers={"Authorization": "Bearer forged.token.here"}, timeout=10)


def test_no_answer_reveals_an_internal_address_or_a_stack_trace(private_stack, mongo_uri):
    for name in ("catalogue", "packages", "bookings", "webhooks", "gateway"):
        for answer in hostile_requests(private_stack[name]):
            assert answer.status_code >= 400, (name, answer.request.method, answer.request.url)
            assert not LEAKS.search(answer.text), (name, answer.status_code, answer.text)
    # A service whose dependency is down names the dependency, never where it lives.
    env = {**private_stack["env"], "CATALOGUE_URL": f"http://127.0.0.1:{free_port()}"}
    with running_service("packages", env) as packages:
        from services.common.config import Settings
        from services.common.tokens import Principal, mint

        token = mint(
            Principal(role="CLINIC_ADMIN", subject="leak", clinic="oracle-skin-clinic"),
            Settings(service="x").token_secret,
            60,
        )
        answer = requests.post(
            f"{packages}/packages",
            json={
                "clinic": "oracle-skin-clinic",
                "title": {"en": "x"},
                "scarTypes": ["BOXCAR"],
                "items": [{"procedure": "TCA_CROSS", "sessions": 1}],
                "priceKrw": 1000,
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.status_code in (400, 503)
        assert not LEAKS.search(answer.text), answer.text


def test_an_id_is_one_path_segment_and_never_reaches_another_resource(gateway):
    """Ids go into the services' paths escaped: dots, slashes and question marks in an id name no other
    resource (unescaped, requests resolves ``CB-X/../CB-Y`` to ``CB-Y``)."""
    from tests.support import AGENCY_KEY, ICEPICK, PATIENT, book_through, open_slot_through

    quote = gql(gateway, 'mutation { createQuote(input: {packageId: "%s"}) { quote { id } } }' % ICEPICK).json
    made = book_through(
        gateway,
        "mutation B($input: CreateBookingInput!) { createBooking(input: $input) { booking { reference } errors { code } } }",
        quote["data"]["createQuote"]["quote"]["id"],
        open_slot_through(gateway, 310, "15:35"),
        PATIENT,
    )
    reference = made["booking"]["reference"]
    cancel = "mutation C($r: String!) { cancelBooking(reference: $r) { booking { status } errors { code } } }"
    for disguised in (f"X/../{reference}", f"./{reference}", f"{reference}?x", f"{reference}#"):  # 16 at most
        answer = gql(gateway, cancel, {"r": disguised}, key=AGENCY_KEY).json
        assert answer["data"]["cancelBooking"]["errors"][0]["code"] == "NOT_FOUND", (disguised, answer)
    still = gql(gateway, 'query { booking(reference: "%s") { status } }' % reference, key=AGENCY_KEY).json
    assert still["data"]["booking"]["status"] == "PENDING"
    # A quote's id does not reach a package either.
    odd = gql(gateway, "query Q($id: ID!) { quote(id: $id) { id } }", {"id": f"../packages/{ICEPICK}"}).json
    assert odd["data"]["quote"] is None
