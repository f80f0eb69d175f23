"""The partner's whole flow under load: compare -> quote -> book, through the gateway, for a minute.

Every service and the gateway run under gunicorn with several workers, as `make run` serves them,
on one database (SecantusDB, or MONGO_URI). Many clients loop over the flow with their own API
key: the compare page (10 packages with clinic and next free slot), a quote, then a booking of
the package's next free slot. The clients take turns between two bookings measured side by side
in the same run: a single-visit package (opened for the bench at the Oracle clinic) and the
4-visit seed package ``oracle-rf-prp``, whose booking takes a seat of every visit (the later ones
the earliest free inside the window). Slots fill up, so SLOT_FULL (and, once the first visits
run late, NO_SLOT_IN_WINDOW) answers are expected; any other error counts as one. Prints
throughput, p50/p99 per step and per flow, bookings per second of each kind and their ratio,
errors by kind, and each process's memory (RSS, master and workers) at the start and at the end.

    make bench BENCH_ARGS=load          (BENCH_LOAD_SECONDS, BENCH_LOAD_CLIENTS, BENCH_LOAD_WORKERS)
"""

from __future__ import annotations

import os
import random
import statistics
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import pymongo
import requests

from services.packages.seed import seed_id
from tests.support import PACKAGE_INPUT, seed, stack_env

from .harness import agency_key, clinic_key, database, ledger_check, stack

SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))
CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "16"))
WORKERS = int(os.environ.get("BENCH_LOAD_WORKERS", "3"))
COMPARE = """{ packages(first: 10, sort: {field: PRICE}) { edges { node { id priceKrw clinic { name district }
  items { sessions procedure { name } } nextFreeSlot { id start free } } } } }"""
NEXT_FREE = """query N($id: ID!) { package(id: $id) { nextFreeSlot { id } } }"""
SERIES = str(seed_id("oracle-rf-prp"))  # 4 visits
SINGLE_INPUT = {
    **PACKAGE_INPUT,
    "title": {"en": "Bench: one TCA CROSS visit"},
    "items": [{"procedure": "TCA_CROSS", "sessions": 1}],
}
QUOTE = """mutation Q($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id total { amount currency } }
  errors { code message } } }"""
BOOK = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) { booking { reference status }
  errors { code message } } }"""
PATIENT = {
    "name": "Load Test",
    "email": "load@example.com",
    "nationality": "DE",
    "preferredLanguage": "de",
    "homeTimeZone": "Europe/Berlin",
    "fitzpatrickSkinType": "II",
    "isotretinoinLast6Months": False,
    "activeAcne": False,
}


def tree_rss_mb(port: int) -> float:
    """Resident memory of the gunicorn master serving ``port`` and all its workers, in MB."""
    processes = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = (entry / "stat").read_text().split()
            rss = next(
                int(line.split()[1]) for line in (entry / "status").read_text().splitlines() if line.startswith("VmRSS")
            )
        except (OSError, StopIteration, ValueError):
            continue
        processes[int(entry.name)] = (int(stat[3]), cmdline, rss)
    masters = {
        pid
        for pid, (_, cmdline, _) in processes.items()
        if f"127.0.0.1:{port} " in cmdline + " " and "gunicorn" in cmdline
    }
    members = masters | {pid for pid, (parent, _, _) in processes.items() if parent in masters}
    return sum(processes[pid][2] for pid in members) / 1024


class Flow:
    def __init__(self, gateway: str, key: str, packages: dict[str, str]):
        self.gateway, self.key, self.packages = gateway, key, packages  # "single" and "series": package ids
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.outcomes: Counter = Counter()
        self.errors: Counter = Counter()
        self.lock = threading.Lock()

    def call(self, session: requests.Session, step: str, query: str, variables: dict | None = None) -> dict:
        started = time.perf_counter()
        answer = session.post(
            f"{self.gateway}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=60,
        )
        with self.lock:
            self.latencies[step].append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"{step}: HTTP {answer.status_code}")
        body = answer.json()
        if body.get("errors"):
            raise RuntimeError(f"{step}: {body['errors'][0].get('extensions', {}).get('code')}")
        return body["data"]

    def client(self, deadline: float) -> None:
        session, rng = requests.Session(), random.Random()
        kinds = ["single", "series"]
        rng.shuffle(kinds)
        turn = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            kind = kinds[turn % 2]
            turn += 1
            try:
                self.call(session, "compare", COMPARE)
                package = self.call(session, "next free", NEXT_FREE, {"id": self.packages[kind]})["package"]
                if not package["nextFreeSlot"]:
                    self._count(kind, "NO_FREE_SLOT")
                    continue
                quote = self.call(
                    session, "quote", QUOTE, {"input": {"packageId": self.packages[kind], "currency": "USD"}}
                )["createQuote"]
                if quote["errors"]:
                    raise RuntimeError(f"quote: {quote['errors'][0]['code']}")
                booked = self.call(
                    session,
                    f"book {kind}",
                    BOOK,
                    {
                        "input": {
                            "quoteId": quote["quote"]["id"],
                            "slotId": package["nextFreeSlot"]["id"],
                            "patient": PATIENT,
                            "idempotencyKey": uuid.uuid4().hex,
                        }
                    },
                )["createBooking"]
                outcome = booked["errors"][0]["code"] if booked["errors"] else "BOOKED"
                self._count(kind, outcome)
                with self.lock:
                    self.latencies["flow"].append((time.perf_counter() - started) * 1000)
            except Exception as error:  # counted and shown by kind; the client carries on
                with self.lock:
                    self.errors[str(error)[:100]] += 1

    def _count(self, kind: str, outcome: str) -> None:
        with self.lock:
            self.outcomes[(kind, outcome)] += 1


def run() -> None:
    with database() as uri:
        env = stack_env(uri, "bench_l", MIN_NOTICE_HOURS="24")
        seed(env, synthetic={"catalogue": 100, "packages": 100, "bookings": 400})
        key = agency_key(env, "load-travel")
        admin = clinic_key(env, "oracle-skin-clinic")
        with stack(env, gateway={}, workers=WORKERS) as urls:
            gateway = urls["gateway"]
            ports = {name: int(url.rsplit(":", 1)[1]) for name, url in urls.items()}
            packages = {"single": single_visit_package(gateway, admin), "series": SERIES}
            Flow(gateway, key, packages).client(time.perf_counter() + 3)  # warm-up, untimed
            memory_start = {name: tree_rss_mb(port) for name, port in ports.items()}
            before = pymongo.MongoClient(uri)[env["BOOKINGS_DB_NAME"]].bookings.count_documents({})
            flow = Flow(gateway, key, packages)
            deadline = time.perf_counter() + SECONDS
            threads = [threading.Thread(target=flow.client, args=(deadline,)) for _ in range(CLIENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            memory_end = {name: tree_rss_mb(port) for name, port in ports.items()}
            ledger_check(env, urls)
            db = pymongo.MongoClient(uri)[env["BOOKINGS_DB_NAME"]]
            recorded = db.bookings.count_documents({}) - before
            seats = next(db.slots.aggregate([{"$group": {"_id": None, "booked": {"$sum": "$booked"}}}]))["booked"]
            all_bookings = db.bookings.count_documents({})
            db.client.close()

    flows = sum(flow.outcomes.values())
    print(
        f"\ncompare -> quote -> book through the gateway: {CLIENTS} clients, {SECONDS} s, {WORKERS} gunicorn workers per service "
        f"and the gateway, SecantusDB (or MONGO_URI)"
    )
    outcomes = {f"{kind} {outcome}": n for (kind, outcome), n in sorted(flow.outcomes.items())}
    print(
        f"flows {flows} ({flows / SECONDS:.1f}/s); outcomes {outcomes}; bookings recorded {recorded}; "
        f"seats taken {seats} for {all_bookings} bookings in all"
    )
    print(f"{'step':<14}{'count':>8}{'per s':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for step in ("compare", "next free", "quote", "book single", "book series", "flow"):
        values = sorted(flow.latencies[step]) or [float("nan")]
        print(
            f"{step:<14}{len(flow.latencies[step]):>8}{len(flow.latencies[step]) / SECONDS:>8.1f}{statistics.median(values):>9.1f}"
            f"{values[int(0.99 * (len(values) - 1))]:>9.1f}"
        )
    single, series = (flow.outcomes[(kind, "BOOKED")] / SECONDS for kind in ("single", "series"))
    p50 = {kind: statistics.median(flow.latencies[f"book {kind}"] or [float("nan")]) for kind in ("single", "series")}
    print(
        f"bookings/s: single visit {single:.1f}, series of 4 visits {series:.1f} ({series * 4:.1f} visits/s); "
        f"series/single booking p50 {p50['series'] / p50['single']:.2f}x"
    )
    advertised = sum(
        n for (kind, outcome), n in flow.outcomes.items() if kind == "series" and outcome != "NO_FREE_SLOT"
    )
    missed = flow.outcomes[("series", "NO_SLOT_IN_WINDOW")]
    print(
        f"series flows that booked the advertised start's plan: {flow.outcomes[('series', 'BOOKED')]} of {advertised}; "
        f"ended NO_SLOT_IN_WINDOW after choosing it: {missed} ({missed / max(advertised, 1):.0%})"
    )
    print(f"errors (other than SLOT_FULL): {sum(flow.errors.values())}")
    for kind, count in flow.errors.most_common():
        print(f"  {count} x {kind}")
    print(
        "memory (RSS of master and workers, MB):  "
        + "  ".join(f"{name} {memory_start[name]:.0f} -> {memory_end[name]:.0f}" for name in memory_start)
    )


def single_visit_package(gateway: str, admin_key: str) -> str:
    """A published one-visit package at the Oracle clinic (its any-package slots serve it), made by its admin."""
    headers = {"Authorization": f"Bearer {admin_key}"}

    def call(query: str, variables: dict) -> dict:
        answer = requests.post(
            f"{gateway}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=30
        )
        return answer.json()["data"]

    made = call(
        "mutation C($input: PackageInput!) { createPackage(input: $input) { package { id } errors { message } } }",
        {"input": SINGLE_INPUT},
    )["createPackage"]
    package = made["package"]["id"]
    call("mutation P($id: ID!) { publishPackage(id: $id) { package { status } } }", {"id": package})
    return package
