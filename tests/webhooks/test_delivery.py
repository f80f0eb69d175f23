"""Webhooks end to end: a whole stack, dispatcher processes, and a real receiver verifying signatures
with the standardwebhooks library, through outages, crashes and a second dispatcher."""

from __future__ import annotations

import itertools
import json
import os
import signal
import uuid
from datetime import datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.common.clock import utcnow
from tests.support import (
    AGENCY_KEY,
    ICEPICK,
    ORACLE_KEY,
    OTHER_AGENCY_KEY,
    PLATFORM_KEY,
    DripReceiver,
    Receiver,
    book_through,
    dispatchers,
    drop_databases,
    eventually,
    gql,
    open_slot_through,
    seed,
    stack,
    stack_env,
)

FAST = {  # retries in fractions of a second, so a test sees several
    "WEBHOOK_RETRY_BASE_SECONDS": "0.3",
    "WEBHOOK_RETRY_MAX_SECONDS": "1",
    "WEBHOOK_POLL_SECONDS": "0.1",
    "WEBHOOK_TIMEOUT_SECONDS": "2",
}
BOOKING_TYPES = [
    "BOOKING_CREATED",
    "BOOKING_CONFIRMED",
    "BOOKING_CANCELLED",
    "VISIT_RESCHEDULED",
    "VISIT_ARRIVED",
    "VISIT_FULFILLED",
]
DAYS = itertools.count(120)  # each booking's first visit on a day of its own (its later ones 30 and 65 days on)
CREATE = """mutation W($input: CreateWebhookInput!) { createWebhook(input: $input) {
  created { secret webhook { id state } } errors { code field message } } }"""
DELIVERIES = """query D($id: ID!) { webhookDeliveries(webhookId: $id, first: 100) { deliveries {
  id eventId eventType state attempts lastStatus lastError lastAttemptAt nextAttemptAt deliveredAt
  history { at status error } } } }"""
BOOK = (
    "mutation B($input: CreateBookingInput!) { createBooking(input: $input) { booking { reference } errors { code } } }"
)
FEED = (
    """query E($after: String) { events(first: 7, after: $after) { cursor more events { id type resource { id } } } }"""
)


@pytest.fixture(scope="module")
def hub(mongo_uri, mongo_client, tmp_path_factory):
    """Every service on databases of their own, seeded; dispatchers are started by each test."""
    env = stack_env(mongo_uri, f"hooks_{uuid.uuid4().hex[:8]}", **FAST)
    seed(env)
    with stack(env) as urls:
        yield {"env": env, "urls": urls, "logs": str(tmp_path_factory.mktemp("dispatchers"))}
    drop_databases(mongo_client, env)


@pytest.fixture
def gateway(make_gateway, hub, mongo_client):
    yield make_gateway(urls=hub["urls"]).test_client()
    webhooks = mongo_client[hub["env"]["WEBHOOKS_DB_NAME"]]
    webhooks.endpoints.delete_many({})  # each test hears only its own endpoints
    webhooks.deliveries.delete_many({})


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def endpoint(gateway, receiver: Receiver, key: str = AGENCY_KEY, events=BOOKING_TYPES) -> dict:
    made = gql(gateway, CREATE, {"input": {"url": receiver.url, "events": list(events)}}, key=key).json
    created = made["data"]["createWebhook"]["created"]
    assert created, made
    return {"id": created["webhook"]["id"], "secret": created["secret"]}


def book(gateway, first_day: int | None = None, key: str = AGENCY_KEY) -> str:
    """A booking of the agency (``key``'s) for the ice-pick package: visits on ``first_day``, 30 and 65 days after."""
    quote = gql(gateway, 'mutation { createQuote(input: {packageId: "%s"}) { quote { id } } }' % ICEPICK).json
    slot = open_slot_through(gateway, first_day or next(DAYS), "09:35", capacity=3)
    made = book_through(gateway, BOOK, quote["data"]["createQuote"]["quote"]["id"], slot, key=key)
    assert made["errors"] == [], made
    return made["booking"]["reference"]


def step(gateway, mutation: str, reference: str, key: str = ORACLE_KEY) -> None:
    answer = gql(gateway, 'mutation { %s(reference: "%s") { errors { code } } }' % (mutation, reference), key=key)
    assert answer.json["data"][mutation]["errors"] == [], answer.json


def deliveries(gateway, webhook_id: str, key: str = AGENCY_KEY) -> list[dict]:
    return gql(gateway, DELIVERIES, {"id": webhook_id}, key=key).json["data"]["webhookDeliveries"]["deliveries"]


def about(receiver: Receiver, reference: str) -> list[dict]:
    return [e for e in receiver.events() if e["resource"]["id"] == reference]


FOLLOW_UP_TYPES = ["FOLLOW_UP_RESCHEDULED", "FOLLOW_UP_HELD", "FOLLOW_UP_MISSED"]
BOOK_WITH_FOLLOW_UPS = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
  booking { reference followUps { number start } } errors { code } } }"""


def test_a_receiver_hears_a_follow_up_moved_held_and_missed(gateway, hub, receivers):
    mine = receivers()
    agency = endpoint(gateway, mine, events=FOLLOW_UP_TYPES)
    with dispatchers(hub["env"], hub["urls"], log_dir=hub["logs"]):
        quote = gql(
            gateway,
            'mutation { createQuote(input: {packageId: "%s", followUpPlan: "VIDEO_3"}) { quote { id } } }' % ICEPICK,
        ).json["data"]["createQuote"]["quote"]["id"]
        slot = open_slot_through(gateway, next(DAYS), "09:35", capacity=3)
        made = book_through(gateway, BOOK_WITH_FOLLOW_UPS, quote, slot)
        assert made["errors"] == [], made
        reference, first = made["booking"]["reference"], made["booking"]["followUps"][0]["start"]
        step(gateway, "confirmBooking", reference)
        later = (datetime.fromisoformat(first) + timedelta(days=1)).isoformat()
        moved = gql(
            gateway,
            "mutation M($input: RescheduleFollowUpInput!) { rescheduleFollowUp(input: $input) { errors { code } } }",
            {"input": {"reference": reference, "followUp": 1, "start": later, "idempotencyKey": uuid.uuid4().hex}},
            key=AGENCY_KEY,
        ).json
        assert moved["data"]["rescheduleFollowUp"]["errors"] == [], moved
        for mutation, number in (("markFollowUpHeld", 1), ("markFollowUpMissed", 2)):
            marked = gql(
                gateway,
                'mutation { %s(reference: "%s", followUp: %d) { errors { code } } }' % (mutation, reference, number),
                key=ORACLE_KEY,
            ).json
            assert marked["data"][mutation]["errors"] == [], marked
        mine.wait_for(lambda r: len(about(r, reference)) >= 3)
    told = {e["type"]: e for e in about(mine, reference)}  # in any order: each is delivered on its own
    assert {kind: e["data"]["followUp"] for kind, e in told.items()} == {
        "follow_up.rescheduled": 1,
        "follow_up.held": 1,
        "follow_up.missed": 2,
    }
    assert told["follow_up.rescheduled"]["data"]["to"] == later
    assert [f["status"] for f in told["follow_up.missed"]["data"]["followUps"]] == ["HELD", "MISSED", "BOOKED"]
    hook = Webhook(agency["secret"])
    assert all(hook.verify(r["body"], r["headers"]) for r in mine.received)


CHANGE_TYPES = ["VISIT_CHANGE_PROPOSED", "VISIT_CHANGE_ACCEPTED", "VISIT_CHANGE_DECLINED"]
BOOKED_VISITS = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
  booking { reference visits { slotId } } errors { code } } }"""
PROPOSED = """query P($reference: String!) { booking(reference: $reference) {
  visits { status proposedChange { alternatives { slotId } } } } }"""


def test_a_receiver_hears_the_clinic_propose_a_change_and_the_agency_accept_it(gateway, hub, receivers):
    mine, clinic = receivers(), receivers()
    agency = endpoint(gateway, mine, events=CHANGE_TYPES)
    endpoint(gateway, clinic, key=ORACLE_KEY, events=CHANGE_TYPES)
    with dispatchers(hub["env"], hub["urls"], log_dir=hub["logs"]):
        quote = gql(gateway, 'mutation { createQuote(input: {packageId: "%s"}) { quote { id } } }' % ICEPICK).json
        first = next(DAYS)
        slot = open_slot_through(gateway, first, "09:35", capacity=3)
        open_slot_through(gateway, first + 31, "16:05", later=())  # an alternative for visit 2
        made = book_through(gateway, BOOKED_VISITS, quote["data"]["createQuote"]["quote"]["id"], slot)
        assert made["errors"] == [], made
        reference = made["booking"]["reference"]
        closed = gql(
            gateway,
            'mutation { closeSlot(id: "%s") { errors { code } } }' % made["booking"]["visits"][1]["slotId"],
            key=ORACLE_KEY,
        )
        assert closed.json["data"]["closeSlot"]["errors"] == [], closed.json
        visit = gql(gateway, PROPOSED, {"reference": reference}, key=AGENCY_KEY).json["data"]["booking"]["visits"][1]
        assert visit["status"] == "CHANGE_PROPOSED", visit
        answer = {
            "reference": reference,
            "visit": 2,
            "slotId": visit["proposedChange"]["alternatives"][0]["slotId"],
            "idempotencyKey": uuid.uuid4().hex,
        }
        accepted = gql(
            gateway,
            "mutation A($input: AcceptProposedChangeInput!) { acceptProposedChange(input: $input) { errors { code } } }",
            {"input": answer},
            key=AGENCY_KEY,
        ).json
        assert accepted["data"]["acceptProposedChange"]["errors"] == [], accepted
        mine.wait_for(lambda r: len(about(r, reference)) >= 2)
        clinic.wait_for(lambda r: len(about(r, reference)) >= 2)
    told = {e["type"]: e for e in about(mine, reference)}
    assert set(told) == {"visit.change_proposed", "visit.change_accepted"}
    proposed = told["visit.change_proposed"]["data"]
    assert (proposed["visit"], proposed["reason"]) == (2, "SLOT_CLOSED")
    assert proposed["alternatives"][0]["slotId"] == answer["slotId"]
    assert [v["status"] for v in proposed["visits"]] == ["BOOKED", "CHANGE_PROPOSED", "BOOKED"]
    assert told["visit.change_accepted"]["data"]["visits"][1]["slotId"] == answer["slotId"]
    assert {e["type"] for e in about(clinic, reference)} == set(told)  # the clinic that treats hears it too
    hook = Webhook(agency["secret"])
    assert all(hook.verify(r["body"], r["headers"]) for r in mine.received)


def test_a_real_receiver_gets_every_change_of_a_flow_signed_and_only_its_own(gateway, hub, receivers):
    mine, other = receivers(), receivers()
    agency = endpoint(gateway, mine)
    endpoint(gateway, other, key=OTHER_AGENCY_KEY)
    with dispatchers(hub["env"], hub["urls"], log_dir=hub["logs"]):
        first_day = next(DAYS)
        reference = book(gateway, first_day)
        step(gateway, "confirmBooking", reference)
        step(gateway, "markArrived", reference)
        step(gateway, "markFulfilled", reference)
        moved = gql(
            gateway,
            "mutation M($input: RescheduleVisitInput!) { rescheduleVisit(input: $input) { errors { code } } }",
            {
                "input": {
                    "reference": reference,
                    "visit": 3,
                    "slotId": open_slot_through(gateway, first_day + 60, "14:05", later=()),  # in visit 3's window
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
            key=AGENCY_KEY,
        ).json
        assert moved["data"]["rescheduleVisit"]["errors"] == [], moved
        step(gateway, "cancelBooking", reference, key=AGENCY_KEY)
        mine.wait_for(lambda r: len(about(r, reference)) >= 6)

    told = about(mine, reference)
    assert sorted(e["type"] for e in told) == sorted(
        [
            "booking.created",
            "booking.confirmed",
            "visit.arrived",
            "visit.fulfilled",
            "visit.rescheduled",
            "booking.cancelled",
        ]
    )
    moved_event = next(e for e in told if e["type"] == "visit.rescheduled")
    assert moved_event["data"]["visit"] == 3 and moved_event["data"]["from"] != moved_event["data"]["to"]
    assert next(e for e in told if e["type"] == "booking.cancelled")["data"]["refund"] is not None
    # Every request verifies with the endpoint's secret, and names the event it carries.
    hook = Webhook(agency["secret"])
    for request in mine.received:
        assert hook.verify(request["body"], request["headers"])["id"] == request["headers"]["webhook-id"]
    # The same events, with the same ids, as the feed gives them.
    page = gql(gateway, "{ events(first: 100) { events { id resource { id } } } }", key=AGENCY_KEY).json
    fed = [e["id"] for e in page["data"]["events"]["events"] if e["resource"]["id"] == reference]
    assert sorted(fed) == sorted(e["id"] for e in told)
    # Another agency's endpoint hears nothing of this booking.
    assert about(other, reference) == []

    request = mine.received[0]
    with pytest.raises(WebhookVerificationError):
        hook.verify(request["body"].replace(b'"type"', b'"typo"'), request["headers"])  # a tampered body
    old = utcnow() - timedelta(minutes=10)
    stale = {
        **request["headers"],
        "webhook-timestamp": str(int(old.timestamp())),
        "webhook-signature": hook.sign(request["headers"]["webhook-id"], old, request["body"].decode()),
    }
    with pytest.raises(WebhookVerificationError, match="too old"):
        hook.verify(request["body"], stale)  # an old timestamp, even signed rightly
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43).verify(request["body"], request["headers"])  # another secret


def test_a_receiver_down_for_a_while_gets_the_event_once_it_recovers(gateway, hub, receivers):
    down = receivers(answer=lambda n: 503 if n < 3 else 200)
    agency = endpoint(gateway, down, events=["BOOKING_CREATED"])
    with dispatchers(hub["env"], hub["urls"], log_dir=hub["logs"]):
        reference = book(gateway)
        down.wait_for(lambda r: len(r.received) >= 4)
        attempts = [r for r in down.received if json.loads(r["body"])["resource"]["id"] == reference]
        assert len(attempts) == 4 and len({a["headers"]["webhook-id"] for a in attempts}) == 1
        waits = [later["at"] - earlier["at"] for earlier, later in itertools.pairwise(attempts)]
        # Doubling from 0.3 s up to 1 s (each a quarter longer at most): 0.3-0.375, 0.6-0.75, 1-1.25 s, give or take
        # the few milliseconds between an attempt's start and its arrival.
        assert waits[0] >= 0.25 and waits[1] >= 0.55 and waits[2] >= 0.95
        assert waits[0] < waits[1] < waits[2]
        # The receiver has the fourth attempt; the dispatcher records its answer just after.
        eventually(
            lambda: all(d["state"] != "PENDING" for d in deliveries(gateway, agency["id"])),
            what="the fourth attempt's answer in the delivery log",
        )
        logged = deliveries(gateway, agency["id"])
    assert [(d["state"], d["attempts"], d["lastStatus"]) for d in logged] == [("DELIVERED", 4, 200)]
    assert logged[0]["deliveredAt"] and logged[0]["nextAttemptAt"] is None
    # The log says what happened last (it was delivered: no error), and keeps every attempt.
    assert logged[0]["lastError"] is None
    assert [(a["status"], a["error"]) for a in logged[0]["history"]] == [(503, "Answered 503.")] * 3 + [(200, None)]


def test_an_endpoint_failing_past_the_retry_period_is_marked_and_can_be_sent_again(gateway, hub, receivers):
    failing = receivers(answer=lambda n: 500)
    agency = endpoint(gateway, failing, events=["BOOKING_CREATED"])
    with dispatchers(hub["env"], hub["urls"], log_dir=hub["logs"], WEBHOOK_RETRY_FOR_SECONDS="3"):
        book(gateway)
        failing.wait_for(lambda r: [d["state"] for d in deliveries(gateway, agency["id"])] == ["FAILED"])
        tries = len(failing.received)
        assert tries >= 2  # retried before the period ran out
        seen = gql(
            gateway, '{ webhook(id: "%s") { state failure { reason deliveryId } } }' % agency["id"], key=AGENCY_KEY
        )
        webhook = seen.json["data"]["webhook"]
        assert webhook["state"] == "FAILING" and webhook["failure"]["reason"] == "Answered 500."
        listed = gql(
            gateway, "{ webhooks(first: 100, state: FAILING) { webhooks { id failure { reason } } } }", key=PLATFORM_KEY
        )
        assert agency["id"] in {w["id"] for w in listed.json["data"]["webhooks"]["webhooks"]}
        assert (
            gql(gateway, "{ webhooks(first: 5) { webhooks { id } } }", key=OTHER_AGENCY_KEY).json["data"]["webhooks"][
                "webhooks"
            ]
            == []
        )
        # Nothing more is sent to a failing endpoint; once fixed and enabled, its owner sends the event again.
        failing.answer = lambda n: 200
        enabled = gql(
            gateway,
            'mutation { updateWebhook(id: "%s", input: {enabled: true}) { webhook { state failure { reason } } } }'
            % agency["id"],
            key=AGENCY_KEY,
        ).json["data"]["updateWebhook"]["webhook"]
        assert enabled == {"state": "ACTIVE", "failure": None}
        again = gql(
            gateway,
            'mutation { redeliverWebhook(deliveryId: "%s") { delivery { state } errors { code } } }'
            % webhook["failure"]["deliveryId"],
            key=AGENCY_KEY,
        ).json["data"]["redeliverWebhook"]
        assert again == {"delivery": {"state": "PENDING"}, "errors": []}
        failing.wait_for(lambda r: [d["state"] for d in deliveries(gateway, agency["id"])] == ["DELIVERED"])
    assert len(failing.received) == tries + 1


def test_a_delivery_survives_its_dispatcher_killed_mid_request(gateway, hub, receivers):
    slow = receivers(delay=1.0)
    endpoint(gateway, slow, events=["BOOKING_CREATED"])
    with dispatchers(hub["env"], hub["urls"], log_dir=hub["logs"]) as (first,):
        reference = book(gateway)
        slow.wait_for(lambda r: len(r.received) >= 1)
        os.kill(first.pid, signal.SIGKILL)  # while the receiver holds the request open
    with dispatchers(hub["env"], hub["urls"], log_dir=hub["logs"]):
        slow.wait_for(lambda r: len(r.received) >= 2, timeout=30)
    sent = [r for r in slow.received if json.loads(r["body"])["resource"]["id"] == reference]
    assert len(sent) >= 2 and len({r["headers"]["webhook-id"] for r in sent}) == 1  # at least once, same id


def test_two_dispatchers_never_send_an_event_twice_at_once(gateway, hub, receivers):
    busy = receivers(delay=0.2)
    endpoint(gateway, busy, events=["BOOKING_CREATED", "BOOKING_CONFIRMED"])
    with dispatchers(hub["env"], hub["urls"], count=2, log_dir=hub["logs"]):
        references = [book(gateway) for _ in range(4)]
        for reference in references:
            step(gateway, "confirmBooking", reference)
        busy.wait_for(lambda r: len(r.received) >= 8)
    ids = [r["headers"]["webhook-id"] for r in busy.received]
    assert busy.overlaps == 0 and len(ids) == len(set(ids)) == 8


def test_the_feed_gives_a_burst_of_both_services_events_once_in_order_across_pages(gateway, hub):
    def drain(after=None) -> tuple[list[dict], str]:
        seen = []
        while True:
            page = gql(gateway, FEED, {"after": after}, key=ORACLE_KEY).json["data"]["events"]
            seen += page["events"]
            after = page["cursor"]
            if not page["more"]:
                return seen, after

    _, start = drain()
    references = [book(gateway) for _ in range(3)]
    for reference in references:
        step(gateway, "confirmBooking", reference)
    draft = gql(
        gateway,
        'mutation { updatePackage(id: "%s", input: {priceKrw: 2500000}) { package { id } } }' % ICEPICK,
        key=ORACLE_KEY,
    ).json["data"]["updatePackage"]["package"]["id"]
    step(gateway, "cancelBooking", references[0], key=AGENCY_KEY)
    told, _ = drain(start)
    assert len({e["id"] for e in told}) == len(told) == 3 + 3 + 1 + 1
    per_booking = {r: [e["type"] for e in told if e["resource"]["id"] == r] for r in references}
    assert per_booking[references[0]] == ["BOOKING_CREATED", "BOOKING_CONFIRMED", "BOOKING_CANCELLED"]
    assert per_booking[references[1]] == ["BOOKING_CREATED", "BOOKING_CONFIRMED"]
    assert [e["type"] for e in told if e["resource"]["id"] == draft] == ["PACKAGE_UPDATED"]


def test_a_slow_endpoint_holds_back_no_other_partner_and_never_gets_one_event_twice_at_once(gateway, hub, receivers):
    """An endpoint that answers a status line and then one byte at a time, for ever, beside another agency's
    ordinary one: the ordinary one gets every event while the slow one is still dripping; the slow one's
    attempts end at the deadline and are tried again later, one connection per event at a time."""
    slow = DripReceiver(interval=1.0)
    normal = receivers()
    try:
        dripping = endpoint(gateway, slow, key=OTHER_AGENCY_KEY, events=["BOOKING_CREATED"])
        endpoint(gateway, normal, events=["BOOKING_CREATED"])
        with dispatchers(hub["env"], hub["urls"], log_dir=hub["logs"]):
            for _ in range(8):  # as many as a dispatcher has requests in flight
                book(gateway, key=OTHER_AGENCY_KEY)
            mine = {book(gateway) for _ in range(5)}
            normal.wait_for(lambda r: mine <= {e["resource"]["id"] for e in r.events()})
            assert slow.connections  # it was being tried meanwhile, and has never finished an answer
            # Its attempts end as timed out, and each event is tried again later.
            eventually(
                lambda: any(d["attempts"] >= 2 for d in deliveries(gateway, dripping["id"], key=OTHER_AGENCY_KEY)),
                what="a second attempt of a slow delivery",
            )
            logged = deliveries(gateway, dripping["id"], key=OTHER_AGENCY_KEY)
        tried = [d for d in logged if d["attempts"] and d["lastAttemptAt"]]
        assert tried and all(d["state"] == "PENDING" and d["nextAttemptAt"] for d in logged)
        assert {d["lastError"] for d in tried} == {"No answer in time."}
        assert {a["error"] for d in tried for a in d["history"]} == {"No answer in time."}
    finally:
        slow.close()
    assert max(slow.most_per_event.values()) == 1  # never two connections for one webhook-id at once
    assert slow.most_open <= 2  # one endpoint takes at most its own lanes; the rest are everyone else's
