"""Webhooks under load: how long a change takes to reach a partner's endpoint, what delivering costs
the booking flow, and whether one slow endpoint holds the others back.

The load bench's flow (compare -> quote -> book, through the gateway) runs with several agencies,
each with its own API key, and the bookings sweeper as the Procfile runs it. The run alternates
phases of equal length, side by side: webhooks off (no endpoint, no dispatcher); on (one endpoint
per agency, each a real HTTP receiver, and the dispatcher processes); and slow (the same, plus a
hostile endpoint of the first agency taking every event, which answers a status line and then one
header byte every 4 s, for ever). For every event a normal endpoint receives, the time from the
change (the event's ``at``) to its arrival is measured, by the phase the change was made in; each
phase with endpoints ends by waiting until the normal endpoints hear nothing more for 2 s. Prints
how many of the normal endpoints' deliveries arrived, p50/p99/max of their latency with and
without the slow endpoint and their ratio, what the slow endpoint saw, and the flow's throughput
in each phase.

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
from collections import Counter
from contextlib import ExitStack, closing, contextmanager
from datetime import datetime

import pymongo
import requests

from tests.support import EVENT_TYPES, DripReceiver, Receiver, dispatchers, seed, stack_env

from .harness import agency_key, clinic_key, database, ledger_check, register_facilitators, stack
from .load import CLIENTS, SERIES, WORKERS, Flow, single_visit_package

SECONDS = int(os.environ.get("BENCH_WEBHOOK_SECONDS", "90"))  # in all, split into six phases
AGENCIES = int(os.environ.get("BENCH_WEBHOOK_AGENCIES", "4"))
DISPATCHERS = int(os.environ.get("BENCH_WEBHOOK_DISPATCHERS", "1"))
PHASES = ("off", "on", "slow", "off", "on", "slow")
DRIP_SECONDS = 4.0  # the slow endpoint's pace: one byte of a header this often
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


def endpoint(gateway: str, key: str, url: str) -> str:
    """A new endpoint of the agency, for every event type, at ``url``; its id."""
    made = graphql(gateway, key, CREATE, {"input": {"url": url, "events": EVENT_TYPES}})
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
    """Until no normal endpoint has heard anything new for ``quiet`` seconds."""
    heard = -1
    while heard != sum(len(r.received) for r in receivers):
        heard = sum(len(r.received) for r in receivers)
        time.sleep(quiet)


def run() -> None:
    part = SECONDS / len(PHASES)
    with database() as uri, ExitStack() as running:
        env = stack_env(uri, "bench_w", MIN_NOTICE_HOURS="24")
        seed(env, synthetic={"catalogue": 100, "packages": 100, "bookings": 400})
        keys = [agency_key(env, f"hook-travel-{n}") for n in range(AGENCIES)]
        admin = clinic_key(env, "oracle-skin-clinic")
        urls = running.enter_context(stack(env, gateway={}, workers=WORKERS))
        gateway = urls["gateway"]
        register_facilitators(gateway, env, [f"hook-travel-{n}" for n in range(AGENCIES)])
        packages = {"single": single_visit_package(gateway, admin), "series": SERIES}
        Flow(gateway, keys[0], packages).client(time.perf_counter() + 3)  # warm-up, untimed
        receivers = [running.enter_context(closing(Receiver())) for _ in keys]
        slow = running.enter_context(closing(DripReceiver(interval=DRIP_SECONDS)))
        # As the Procfile runs it, in every phase: it moves events left behind into the log every 15 s.
        running.enter_context(sweeper(env, urls))
        booked = dict.fromkeys(PHASES, 0)
        windows: dict[str, list[tuple[float, float]]] = {"on": [], "slow": []}  # when changes count for latency
        hostile: list[str] = []
        normal: dict[str, list[str]] = {"on": [], "slow": []}  # the normal endpoints of each kind of phase
        for name in PHASES:
            if name == "off":
                booked["off"] += phase(gateway, keys, packages, part)
                continue
            made = [endpoint(gateway, key, receiver.url) for key, receiver in zip(keys, receivers, strict=True)]
            normal[name] += made
            if name == "slow":
                hostile.append(endpoint(gateway, keys[0], slow.url))
            with dispatchers(env, urls, count=DISPATCHERS, log_dir=os.environ.get("BENCH_LOGS")):
                started = time.time()
                booked[name] += phase(gateway, keys, packages, part)
                windows[name].append((started, time.time()))
                settle(receivers)
                for key, webhook in zip(keys, made, strict=True):  # nobody listens until the next phase
                    graphql(gateway, key, DELETE, {"id": webhook})
                if name == "slow":
                    graphql(gateway, keys[0], DELETE, {"id": hostile[-1]})
        ledger_check(env, urls)
        latencies: dict[str, list[float]] = {"on": [], "slow": []}
        for receiver in receivers:
            for request in receiver.received:
                changed = datetime.fromisoformat(json.loads(request["body"])["at"]).timestamp()
                for name, spans in windows.items():
                    if any(start <= changed <= end for start, end in spans):
                        latencies[name].append((request["wall"] - changed) * 1000)
        hooks = pymongo.MongoClient(uri)[env["WEBHOOKS_DB_NAME"]]
        tried = list(hooks.deliveries.find({"endpoint": {"$in": hostile}}, {"history": 1, "state": 1}))
        written: dict[str, Counter] = {}
        fanned: dict[str, list[float]] = {}  # change -> delivery written (the feed read and the fan-out)
        sent: dict[str, list[float]] = {}  # written -> the endpoint's 2xx (waiting for a lane, the claim, the request)
        for name, ids in normal.items():
            found = list(hooks.deliveries.find({"endpoint": {"$in": ids}}))
            written[name] = Counter(d["state"] for d in found)
            done = [d for d in found if d["state"] == "DELIVERED"]
            fanned[name] = sorted(
                (d["created_at"].timestamp() - datetime.fromisoformat(d["event"]["at"]).timestamp()) * 1000
                for d in done
            )
            sent[name] = sorted((d["delivered_at"] - d["created_at"]).total_seconds() * 1000 for d in done)
        hooks.client.close()
    timed_out = sum(a.get("error") == "No answer in time." for d in tried for a in d.get("history", []))
    delivered = sum(d["state"] == "DELIVERED" for d in tried)
    print(
        f"\nwebhooks under the booking flow: {CLIENTS} clients over {AGENCIES} agencies (one endpoint each), "
        f"{DISPATCHERS} dispatcher(s), {WORKERS} gunicorn workers per service, phases of {part:.0f} s: {', '.join(PHASES)}"
    )
    print("normal endpoints, change -> delivery (the same run, side by side):")
    for name, label in (("on", "without a slow endpoint"), ("slow", "beside a slow endpoint")):
        values = sorted(latencies[name])
        print(
            f"  {label:<24} {written[name]['DELIVERED']:>4} delivered of {sum(written[name].values())} written, "
            f"{len(values)} of changes made meanwhile ({len(values) / (2 * part):.1f}/s): "
            f"p50 {_at(values, 0.5):.0f} ms, p99 {_at(values, 0.99):.0f} ms, max {_at(values, 1.0):.0f} ms"
        )
        print(
            f"  {'':<24} of which change -> written p50 {_at(fanned[name], 0.5):.0f} ms, p99 {_at(fanned[name], 0.99):.0f} ms; "
            f"written -> delivered p50 {_at(sent[name], 0.5):.0f} ms, p99 {_at(sent[name], 0.99):.0f} ms, "
            f"max {_at(sent[name], 1.0):.0f} ms"
        )
    on, beside = sorted(latencies["on"]), sorted(latencies["slow"])
    print(f"  beside/without: p50 {_at(beside, 0.5) / _at(on, 0.5):.2f}x, p99 {_at(beside, 0.99) / _at(on, 0.99):.2f}x")
    per_event = max(slow.most_per_event.values(), default=0)
    print(
        f"slow endpoint (a byte every {DRIP_SECONDS:.0f} s): {len(slow.connections)} connections, at most "
        f"{slow.most_open} open at once and {per_event} per event; {len(tried)} deliveries, {timed_out} attempts "
        f"timed out, {delivered} delivered"
    )
    off = booked["off"] / (2 * part)
    print(
        "bookings/s: "
        + ", ".join(f"{name} {booked[name] / (2 * part):.2f}" for name in ("off", "on", "slow"))
        + f"; on/off {booked['on'] / (2 * part) / off:.2f}x, slow/off {booked['slow'] / (2 * part) / off:.2f}x"
    )


def _at(values: list[float], quantile: float) -> float:
    return values[int(quantile * (len(values) - 1))] if values else float("nan")
