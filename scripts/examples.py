"""The GraphQL examples of the docs, run against a fresh, seeded stack: what they show is what it answers.

    python -m scripts.examples    start a stack of its own (and a webhook dispatcher and receiver), run
                                  every example, write docs/flows.md, the README's first example and
                                  its webhook samples with what it got

``tests/test_examples.py`` runs the same examples on every test run, so none of them can go stale
without a test failing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import requests

from services.common.clock import seoul_today
from tests.support import Receiver, database_server, dispatchers, seed, stack, stack_env

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"agency": "cbk_demo_agency_seoul_trips", "clinic": "cbk_demo_oracle_clinic_admin"}  # `make run`'s demo keys


@dataclass
class Example:
    """One operation: ``variables`` are built from the answers of the examples before it (by name)."""

    name: str
    lead: str
    query: str
    variables: Callable[[dict], dict] | None = None
    key: str | None = None


def _day(days: int) -> str:
    return (seoul_today() + timedelta(days=days)).isoformat()


def _chosen(answers: dict) -> dict:
    """The compared package the partner goes on with: Oracle Skin Clinic's."""
    return next(
        e["node"]
        for e in answers["compare"]["packages"]["edges"]
        if e["node"]["clinic"]["name"] == "Oracle Skin Clinic"
    )


PARTNER = [
    Example(
        "compare",
        "**1. Compare** packages for ice-pick scars with a Japanese-speaking treatment room, prices in US dollars,"
        " with the clinic and its next free start with a Japanese interpreter at every visit:",
        """query Compare {
  packages(first: 2, filter: {scarType: ICE_PICK, language: "ja", languageLevel: IN_ROOM}, sort: {field: PRICE_PER_SESSION}) {
    totalCount
    edges { node {
      id title
      pricePerSession(currency: USD) { amount currency rate asOf }
      schedule { visits intervalDays tripsNeeded }
      clinic { name kind district }
      nextFreeSlot(interpreterLanguage: "ja") { id start }
    } }
  }
}""",
    ),
    Example(
        "side_by_side",
        "Side by side, with a Japanese interpreter and video follow-ups, in yen, row labels in Japanese"
        " (the best value of each row marked):",
        """query SideBySide($ids: [ID!]!) {
  comparePackages(ids: $ids, options: {interpreterLanguage: "ja", followUpKind: REMOTE_VIDEO, currency: JPY}, lang: "ja") {
    columns { title }
    rows { fact label values { text best } }
  }
}""",
        lambda a: {"ids": [e["node"]["id"] for e in a["compare"]["packages"]["edges"]]},
    ),
    Example(
        "quote",
        "**2. Quote** one:",
        """mutation Quote($input: CreateQuoteInput!) {
  createQuote(input: $input) {
    quote { id base { amount } interpreter { amount } followUp { amount } total { amount currency krw rate asOf } expiresAt }
    errors { field message code }
  }
}""",
        lambda a: {
            "input": {
                "packageId": _chosen(a)["id"],
                "interpreterLanguage": "ja",
                "followUpPlan": "VIDEO_3",
                "currency": "USD",
            }
        },
        key="agency",
    ),
    Example(
        "screening",
        "**3. Screen** the patient's answers before booking (the booking decides the same way):",
        """query Screen($quoteId: ID!, $answers: ScreeningAnswersInput!) {
  screening(quoteId: $quoteId, answers: $answers) { bookable warnings { code text } blocking { code } }
}""",
        lambda a: {
            "quoteId": a["quote"]["createQuote"]["quote"]["id"],
            "answers": {"fitzpatrickSkinType": "IV", "isotretinoinLast6Months": False, "activeAcne": False},
        },
        key="agency",
    ),
    Example(
        "start",
        "**4. Choose a start**: the slots from which every visit has a seat in its window and a Japanese interpreter"
        " free (Oracle's works for an interpretation provider that asks for 72 hours' notice):",
        """query Start($packageId: ID!, $from: Date!, $to: Date!) {
  availableSlots(packageId: $packageId, from: $from, to: $to, interpreterLanguage: "ja", first: 1) {
    edges { node { id start free } }
  }
}""",
        lambda a: {"packageId": _chosen(a)["id"], "from": _day(1), "to": _day(10)},
        key="agency",
    ),
    Example(
        "visits",
        "**5. Find every visit**: from that start, the earliest free slot of each later visit inside the"
        " package's window, and the trips they make:",
        """query Visits($quoteId: ID!, $firstSlotId: ID!) {
  visitOptions(quoteId: $quoteId, firstSlotId: $firstSlotId) {
    complete window { minDays maxDays }
    visits { number earliest latest slot { id start } }
    trips { arriveBy departFrom visits }
  }
}""",
        lambda a: {
            "quoteId": a["quote"]["createQuote"]["quote"]["id"],
            "firstSlotId": _start(a),
        },
        key="agency",
    ),
    Example(
        "book",
        "**6. Book** the whole series: a seat of every visit and the Japanese interpreter for each are taken, and the"
        " three video follow-ups in the clinic's consultation hours after the patient's departure (each with the"
        " interpreter too, shown in Seoul and New York time), or none:",
        """mutation Book($input: CreateBookingInput!) {
  createBooking(input: $input) {
    booking {
      reference status total { amount currency } warnings { code text }
      visits { number start startHome interpreter { name language provider } }
      followUps { number kind status start startHome interpreter { name } }
    }
    replayed
    errors { field message code }
  }
}""",
        lambda a: {
            "input": {
                "quoteId": a["quote"]["createQuote"]["quote"]["id"],
                "slotId": _start(a),
                "laterSlotIds": [v["slot"]["id"] for v in a["visits"]["visitOptions"]["visits"][1:]],
                "idempotencyKey": f"trip-maya-{uuid.uuid4().hex[:6]}",
                "patient": {
                    "name": "Maya Chen",
                    "email": "maya@example.com",
                    "nationality": "US",
                    "preferredLanguage": "en",
                    "homeTimeZone": "America/New_York",
                    "fitzpatrickSkinType": "IV",
                    "isotretinoinLast6Months": False,
                    "activeAcne": False,
                },
            }
        },
        key="agency",
    ),
    Example(
        "plan",
        "**7. The care plan**, dated from the reserved visits, here in Japanese (every time in Seoul and at home; `ical` gives the same as an .ics file):",
        """query Plan($ref: String!) {
  booking(reference: $ref) {
    carePlan(lang: "ja") { lang tripsNeeded minimumStayDays trips { arriveBy departFrom visits }
                           events { kind code title start { seoul home } } }
  }
}""",
        lambda a: {"ref": a["book"]["createBooking"]["booking"]["reference"]},
        key="agency",
    ),
    Example(
        "alternatives",
        "**8. Other dates** for visit 2: the free slots inside its window:",
        """query Alternatives($packageId: ID!, $from: Date!, $to: Date!) {
  availableSlots(packageId: $packageId, from: $from, to: $to, first: 3) { edges { node { id start free } } }
}""",
        lambda a: {
            "packageId": _chosen(a)["id"],
            "from": a["visits"]["visitOptions"]["visits"][1]["earliest"],
            "to": a["visits"]["visitOptions"]["visits"][1]["latest"],
        },
        key="agency",
    ),
    Example(
        "move",
        "**9. Move visit 2** to another of them: the new seat is taken before the old one is given back, the"
        " reference stays, the history records the move and the care plan follows:",
        """mutation Move($input: RescheduleVisitInput!) {
  rescheduleVisit(input: $input) {
    booking { reference visits { number start status } history { from to visit moved { from to } by } }
    errors { field message code }
  }
}""",
        lambda a: {
            "input": {
                "reference": a["book"]["createBooking"]["booking"]["reference"],
                "visit": 2,
                "slotId": _other(a),
                "idempotencyKey": f"move-maya-{uuid.uuid4().hex[:6]}",
            }
        },
        key="agency",
    ),
    Example(
        "move-follow-up",
        "**10. Move the first video follow-up** to the same call a day later: the new call (and the interpreter for"
        " it) is taken before the old one is given back:",
        """mutation MoveFollowUp($input: RescheduleFollowUpInput!) {
  rescheduleFollowUp(input: $input) {
    booking { followUps { number start startHome status } history { followUp { number movedFrom movedTo } } }
    errors { field message code }
  }
}""",
        lambda a: {
            "input": {
                "reference": a["book"]["createBooking"]["booking"]["reference"],
                "followUp": 1,
                "start": _day_later(a["book"]["createBooking"]["booking"]["followUps"][0]["start"]),
                "idempotencyKey": f"move-follow-up-maya-{uuid.uuid4().hex[:6]}",
            }
        },
        key="agency",
    ),
]


def _day_later(start: str) -> str:
    return (datetime.fromisoformat(start) + timedelta(days=1)).isoformat()


def _start(a: dict) -> str:
    """The first visit's slot the partner chose: the first free one three days ahead or more."""
    return a["start"]["availableSlots"]["edges"][0]["node"]["id"]


def _other(a: dict) -> str:
    """A free slot of visit 2's window other than the one it has."""
    booked = a["book"]["createBooking"]["booking"]["visits"][1]["start"]
    edges = a["alternatives"]["availableSlots"]["edges"]
    return next(edge["node"]["id"] for edge in edges if edge["node"]["start"] != booked)


CLINIC = [
    Example(
        "create",
        "**1. Create** a draft package:",
        """mutation Create($input: PackageInput!) {
  createPackage(input: $input) {
    package { id status version downtimeDays schedule { visits tripsNeeded } items { name sessions } }
    errors { field message code }
  }
}""",
        lambda a: {
            "input": {
                "clinic": "oracle-skin-clinic",
                "title": {"en": "Boxcar express: TCA CROSS x2", "ko": "박스카 익스프레스"},
                "scarTypes": ["BOXCAR"],
                "items": [{"procedure": "TCA_CROSS", "sessions": 2}],
                "sessionIntervalDays": 4,
                "priceKrw": 800000,
                "interpreterOptions": [{"language": "en", "included": True}],
                "cancellationPolicy": {
                    "tiers": [{"daysBefore": 7, "refundPercent": 100}, {"daysBefore": 0, "refundPercent": 0}]
                },
                "minimumStayDays": 6,
            }
        },
        key="clinic",
    ),
    Example(
        "publish",
        "**2. Publish** it:",
        """mutation Publish($id: ID!) { publishPackage(id: $id) { package { id status version } errors { code message } } }""",
        lambda a: {"id": a["create"]["createPackage"]["package"]["id"]},
        key="clinic",
    ),
    Example(
        "open",
        "**3. Open slots** for it:",
        """mutation Open($input: OpenSlotsInput!) {
  openSlots(input: $input) { created skipped slots { id start capacity } errors { field code message } }
}""",
        lambda a: {
            "input": {
                "clinic": "oracle-skin-clinic",
                "packageId": a["create"]["createPackage"]["package"]["id"],
                "from": _day(14),
                "to": _day(20),
                "weekdays": ["MON", "WED"],
                "times": ["11:30"],
                "capacity": 2,
            }
        },
        key="clinic",
    ),
    Example(
        "confirm",
        "**4. Confirm** the booking from the partner's flow:",
        """mutation Confirm($ref: String!) {
  confirmBooking(reference: $ref, reason: "Interpreter booked") {
    booking { reference status history { from to by reason } }
    errors { code }
  }
}""",
        lambda a: {"ref": a["book"]["createBooking"]["booking"]["reference"]},
        key="clinic",
    ),
    Example(
        "arrived",
        "**5. Mark each visit** as it happens: the patient arrived for visit 1, the booking's status follows its visits:",
        """mutation Arrived($ref: String!) {
  markArrived(reference: $ref, visit: 1) { booking { status visits { number status } } errors { field code } }
}""",
        lambda a: {"ref": a["book"]["createBooking"]["booking"]["reference"]},
        key="clinic",
    ),
    Example(
        "fulfilled",
        "**6. Visit 1 took place**; the booking is BOOKED again while visits 2 and 3 are to come:",
        """mutation Fulfilled($ref: String!) {
  markFulfilled(reference: $ref, visit: 1) { booking { status visits { number status } } errors { field code } }
}""",
        lambda a: {"ref": a["book"]["createBooking"]["booking"]["reference"]},
        key="clinic",
    ),
]

RECEIVER = {"url": "http://127.0.0.1:9/hooks"}  # where the partner's endpoint points (main() runs a real one)

WEBHOOKS = [
    Example(
        "create_webhook",
        "**1. Create an endpoint** for the agency's booking events and published packages. The signing secret is"
        " shown this once:",
        """mutation Hook($input: CreateWebhookInput!) {
  createWebhook(input: $input) {
    created { secret webhook { id url events state createdAt } }
    errors { field code message }
  }
}""",
        lambda a: {
            "input": {
                "url": RECEIVER["url"],
                "events": [
                    "BOOKING_CREATED",
                    "BOOKING_CONFIRMED",
                    "BOOKING_CANCELLED",
                    "VISIT_RESCHEDULED",
                    "VISIT_ARRIVED",
                    "VISIT_FULFILLED",
                    "VISIT_NO_SHOW",
                    "HOLD_EXPIRED",
                    "PACKAGE_PUBLISHED",
                ],
                "description": "booking desk",
            }
        },
        key="agency",
    ),
]

WEBHOOK_LOG = [
    Example(
        "deliveries",
        "**2. The delivery log** of the endpoint: each event's attempts and the last answer:",
        """query Deliveries($id: ID!) {
  webhookDeliveries(webhookId: $id, first: 3) {
    deliveries { eventType state attempts lastStatus lastAttemptAt deliveredAt }
    nextCursor
  }
}""",
        lambda a: {"id": a["create_webhook"]["createWebhook"]["created"]["webhook"]["id"]},
        key="agency",
    ),
    Example(
        "feed",
        "**3. The event feed**: the same events with the same ids, from a cursor (none: from the start). Keep the"
        " cursor, and ask again from it while `more` is true:",
        """query Feed {
  events(first: 3, types: [BOOKING_CONFIRMED, VISIT_RESCHEDULED]) {
    events { id type at resource { type id } data }
    cursor more
  }
}""",
        key="agency",
    ),
]

FLOWS = [
    ("A partner's webhook endpoint (made first, so it hears the flows below)", WEBHOOKS),
    (
        "A partner's booking flow: compare, quote, screen, find every visit, book the series, care plan, move a visit",
        PARTNER,
    ),
    ("A clinic admin's flow: create and publish a package, open slots, confirm a booking, mark each visit", CLINIC),
    ("What the partner's endpoint heard: its delivery log, and the event feed", WEBHOOK_LOG),
]


def run(gateway: str, settle: Callable[[], None] | None = None) -> list[tuple[Example, dict, dict]]:
    """Every example in order against ``gateway``: (example, variables, answer). ``settle`` is called
    before the delivery log is read (to let the deliveries be made)."""
    answers: dict[str, dict] = {}
    done = []
    session = requests.Session()
    for _, examples in FLOWS:
        if examples is WEBHOOK_LOG and settle:
            settle()
        for example in examples:
            variables = example.variables(answers) if example.variables else {}
            headers = {"Authorization": f"Bearer {KEYS[example.key]}"} if example.key else {}
            body = session.post(
                f"{gateway}/graphql", json={"query": example.query, "variables": variables}, headers=headers, timeout=60
            ).json()
            if "errors" in body:
                raise RuntimeError(f"{example.name} answered errors: {body['errors']}")
            payload = next(iter(body["data"].values()))
            if isinstance(payload, dict) and payload.get("errors"):
                raise RuntimeError(f"{example.name} was refused: {payload['errors']}")
            answers[example.name] = body["data"]
            done.append((example, variables, body))
    return done


def markdown(done: list[tuple[Example, dict, dict]]) -> str:
    by_name = {example.name: (variables, answer) for example, variables, answer in done}
    parts = [
        "# GraphQL flows, with real answers\n",
        "Each operation below was sent to a freshly seeded stack by `python -m scripts.examples`, which wrote"
        " this page with the answers it got (ids, dates and prices are that run's); `tests/test_examples.py`"
        " sends them again on every test run. The keys are `make run`'s demo keys.\n",
    ]
    for title, examples in FLOWS:
        parts.append(f"## {title}\n")
        for example in examples:
            variables, answer = by_name[example.name]
            parts.append(f"{example.lead}\n\n```graphql\n{example.query}\n```\n")
            if variables:
                parts.append(f"variables:\n\n```json\n{json.dumps(variables, ensure_ascii=False)}\n```\n")
            if example.key:
                parts.append(f"as `Authorization: Bearer {KEYS[example.key]}`\n")
            parts.append(f"```json\n{json.dumps(answer, ensure_ascii=False, indent=1)}\n```\n")
    return "\n".join(parts)


def readme_example(done: list[tuple[Example, dict, dict]]) -> str:
    example, _, answer = next(entry for entry in done if entry[0] is PARTNER[0])
    query = " ".join(example.query.split())
    return (
        "```sh\ncurl -s localhost:8000/graphql -H 'Content-Type: application/json' \\\n"
        f"  -d '{json.dumps({'query': query})}'\n```\n\n"
        f"```json\n{json.dumps(answer, ensure_ascii=False, indent=1)}\n```"
    )


SAMPLE_TYPES = ("booking.created", "visit.rescheduled", "booking.cancelled", "package.published")


def webhook_samples(received: list[dict]) -> str:
    """The first request the endpoint got, headers and body, then one body of each other type it got."""
    first = received[0]
    headers = {name: first["headers"][name] for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    parts = [
        "```http\nPOST /hooks HTTP/1.1\nContent-Type: application/json\n"
        + "".join(f"{name}: {value}\n" for name, value in headers.items())
        + f"\n{json.dumps(json.loads(first['body']), ensure_ascii=False, indent=1)}\n```"
    ]
    shown = {json.loads(first["body"])["type"]}
    for request in received:
        body = json.loads(request["body"])
        if body["type"] in SAMPLE_TYPES and body["type"] not in shown:
            shown.add(body["type"])
            parts.append(f"`{body['type']}`:\n\n```json\n{json.dumps(body, ensure_ascii=False, indent=1)}\n```")
    return "\n\n".join(parts)


def _between(text: str, marker: str, content: str) -> str:
    return re.sub(
        rf"(<!-- {marker} -->\n)(?:.*?\n)?(<!-- /{marker} -->)",
        lambda m: m.group(1) + content + "\n" + m.group(2),
        text,
        flags=re.S,
    )


def main() -> None:
    receiver = Receiver()
    RECEIVER["url"] = receiver.url

    def settle() -> None:  # until the endpoint has heard nothing new for two seconds
        heard = -1
        while heard != len(receiver.received):
            heard = len(receiver.received)
            time.sleep(2)

    with database_server() as uri:
        env = stack_env(uri, "examples", WEBHOOK_POLL_SECONDS="0.2")
        seed(env)
        subprocess.run(
            [sys.executable, "-m", "gateway", "keys", "demo"],
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with stack(env, gateway={}) as urls, dispatchers(env, urls):
            done = run(urls["gateway"], settle)
    receiver.close()
    (ROOT / "docs" / "flows.md").write_text(markdown(done), encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    readme = _between(readme, "example", readme_example(done))
    readme = _between(readme, "webhook-samples", webhook_samples(receiver.received))
    (ROOT / "README.md").write_text(readme, encoding="utf-8")
    print("wrote docs/flows.md, the README's example and its webhook samples")


if __name__ == "__main__":
    main()
