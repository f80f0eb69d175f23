"""Webhooks under load: how long a change takes to reach a partner's endpoint, and what delivering
costs the booking flow.

The load bench's flow (compare -> quote -> book, through the gateway) runs with several agencies,
each with its own API key, and the bookings sweeper as the Procfile runs it. The run alternates
phases of equal length, side by side: webhooks off (no endpoint, no dispatcher) and on (one
endpoint per agency, each a real HTTP receiver, and the dispatcher processes). For every event an endpoint receives, the time from the change (the event's
``at``) to its arrival is measured; each "on" phase ends by waiting for what is still queued. Prints
p50/p99/max of that latency, deliveries per second, and the flow's throughput with webhooks on and
off, and their ratio.

    make bench BENCH_ARGS=webhooks      (BENCH_WEBHOOK_SECONDS, BENCH_WEBHOOK_AGENCIES,
                                         BENCH_WEBHOOK_DISPATCHERS, BENCH_LOAD_CLIENTS, BENCH_LOAD_WORKERS)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, closing, contextmanager
from datetime import datetime

import pymongo
import requests

from tests.support import EVENT_TYPES, Receiver, dispatchers, seed, stack_env

from .harness import agency_key, clinic_key, database, ledger_check, stack
from .load import CLIENTS, SERIES, WORKERS, Flow, single_visit_package

SECONDS = int(os.environ.get("BENCH_WEBHOOK_SECONDS", "60"))  # in all, split into four phases: off, on, off, on
AGENCIES = int(os.environ.get("BENCH_WEBHOOK_AGENCIES", "4"))
DISPATCHERS = int(os.environ.get("BENCH_WEBHOOK_DISPATCHERS", "1"))
CREATE = """mutation W($input: CreateWebhookInput!) { createWebhook(input: $input) { created { webhook { id } } } }"""
DELETE = """mutation D($id: ID!) { deleteWebhook(id: $id) { deletedId } }"""


def graphql(gateway: str, key: str, query: str, variables: dict) -> dict:
    answer = requests.post(
        f"{gateway}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]


def endpoint(gateway: str, key: str, receiver: Receiver) -> str:
    """A new endpoint of the agency, for every event type, at ``receiver``; its id."""
    made = graphql(gateway, key, CREATE, {"input": {"url": receiver.url, "events": EVENT_TYPES}})
    return made["createWebhook"]["created"]["webhook"]["id"]


@contextmanager
def sweeper(env: dict, urls: dict):
    process = subprocess.Popen(
        [sys.executable, "-m", "services.bookings", "sweep", "--every", "15"],
        env={**os.environ, **env, "PACKAGES_URL": urls["packages"]},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(10)


def phase(gateway: str, keys: list[str], packages: dict, seconds: float) -> int:
    """The flow for ``seconds`` with CLIENTS clients spread over the agencies; bookings made."""
    flows = [Flow(gateway, key, packages) for key in keys]
    deadline = time.perf_counter() + seconds
    threads = [threading.Thread(target=flows[n % len(flows)].client, args=(deadline,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(n for flow in flows for (_, outcome), n in flow.outcomes.items() if outcome == "BOOKED")


def settle(receivers: list[Receiver], quiet: float = 2.0) -> None:
    """Until no endpoint has heard anything new for ``quiet`` seconds."""
    heard = -1
    while heard != sum(len(r.received) for r in receivers):
        heard = sum(len(r.received) for r in receivers)
        time.sleep(quiet)


def run() -> None:
    part = SECONDS / 4
    with database() as uri, ExitStack() as running:
        env = stack_env(uri, "bench_w", MIN_NOTICE_HOURS="24")
        seed(env, synthetic={"catalogue": 100, "packages": 100, "bookings": 400})
        keys = [agency_key(env, f"hook-travel-{n}") for n in range(AGENCIES)]
        admin = clinic_key(env, "oracle-skin-clinic")
        urls = running.enter_context(stack(env, gateway={}, workers=WORKERS))
        gateway = urls["gateway"]
        packages = {"single": single_visit_package(gateway, admin), "series": SERIES}
        Flow(gateway, keys[0], packages).client(time.perf_counter() + 3)  # warm-up, untimed
        receivers = [running.enter_context(closing(Receiver())) for _ in keys]
        # As the Procfile runs it, in both phases: it moves events into the log every 15 s.
        running.enter_context(sweeper(env, urls))
        booked = {"off": 0, "on": 0}
        windows = []  # when the "on" phases ran: only their changes count for the latency
        for name in ("off", "on", "off", "on"):
            if name == "off":
                booked["off"] += phase(gateway, keys, packages, part)
                continue
            endpoints = [endpoint(gateway, key, receiver) for key, receiver in zip(keys, receivers, strict=True)]
            with dispatchers(env, urls, count=DISPATCHERS, log_dir=os.environ.get("BENCH_LOGS")):
                started = time.time()
                booked["on"] += phase(gateway, keys, packages, part)
                windows.append((started, time.time()))
                settle(receivers)
            for key, webhook in zip(keys, endpoints, strict=True):  # "off" again: nobody listens
                graphql(gateway, key, DELETE, {"id": webhook})
        ledger_check(env, urls)
        latencies, deliveries = [], 0
        for receiver in receivers:
            for request in receiver.received:
                deliveries += 1
                changed = datetime.fromisoformat(json.loads(request["body"])["at"]).timestamp()
                if any(start <= changed <= end for start, end in windows):
                    latencies.append((request["wall"] - changed) * 1000)
        on_phase = sorted(latencies)
        # Where the time goes: from the change to its delivery's creation (the feed read and the fan-out),
        # then to the endpoint's 2xx (the claim and the request).
        fanned, sent = [], []
        hooks = pymongo.MongoClient(uri)[env["WEBHOOKS_DB_NAME"]]
        for delivery in hooks.deliveries.find({"state": "DELIVERED"}):
            changed = datetime.fromisoformat(delivery["event"]["at"]).timestamp()
            if any(start <= changed <= end for start, end in windows):
                fanned.append((delivery["created_at"].timestamp() - changed) * 1000)
                sent.append((delivery["delivered_at"] - delivery["created_at"]).total_seconds() * 1000)
        hooks.client.close()
    print(
        f"\nwebhooks under the booking flow: {CLIENTS} clients over {AGENCIES} agencies (one endpoint each), "
        f"{DISPATCHERS} dispatcher(s), {WORKERS} gunicorn workers per service, phases of {part:.0f} s: off, on, off, on"
    )
    print(
        f"deliveries {deliveries} in all, {len(on_phase)} of changes made while on ({len(on_phase) / (2 * part):.1f}/s); "
        f"change -> delivery: p50 {_at(on_phase, 0.5):.0f} ms, p99 {_at(on_phase, 0.99):.0f} ms, "
        f"max {_at(on_phase, 1.0):.0f} ms"
    )
    print(
        f"  of which change -> delivery written: p50 {_at(sorted(fanned), 0.5):.0f} ms, "
        f"p99 {_at(sorted(fanned), 0.99):.0f} ms; written -> delivered: p50 {_at(sorted(sent), 0.5):.0f} ms, "
        f"p99 {_at(sorted(sent), 0.99):.0f} ms"
    )
    off, on = booked["off"] / (2 * part), booked["on"] / (2 * part)
    print(f"bookings/s: webhooks off {off:.2f}, on {on:.2f}; on/off {on / off:.2f}x ({(1 - on / off) * 100:.0f}% drop)")


def _at(values: list[float], quantile: float) -> float:
    return values[int(quantile * (len(values) - 1))] if values else float("nan")
