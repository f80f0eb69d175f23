"""The partner's whole flow under load: compare -> quote -> book, through the gateway, for a minute.

Every service and the gateway run under gunicorn with several workers, as `make run` serves them,
on one database (SecantusDB, or MONGO_URI). Many clients loop over the flow with their own API
key: the compare page (10 packages with clinic and next free slot), a quote, then a booking of
the package's next free slot. The clients take turns between three bookings measured side by side
in the same run: a single-visit package (opened for the bench at the Oracle clinic); the 4-visit
seed package ``oracle-rf-prp``, whose booking takes a seat of every visit (the later ones the
earliest free inside the window); and the same package with a Japanese interpreter at every visit
and its two video follow-ups, whose next free slot is asked for with both and whose booking also
claims an interpreter for each visit and each call, and a call of the clinic's consultation hours
for each follow-up. For that, the clinic's admin first adds Japanese-speaking coordinators and
hours that take several calls at once, so that people and calls are not what runs out: the bench
measures what reserving them costs. Slots fill up, so SLOT_FULL (and, once the first visits run
late, NO_SLOT_IN_WINDOW) answers are expected; any other error counts as one. Prints throughput,
p50/p99 per step (the next free slot per kind of flow, as each asks for its own) and per flow, bookings per second of each kind and their ratios, the share of
series flows that end NO_SLOT_IN_WINDOW after choosing an advertised start, errors by kind, and
each process's memory (RSS, master and workers) at the start and at the end.

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
from contextlib import contextmanager
from pathlib import Path

import pymongo
import requests

from services.packages.seed import seed_id
from tests.support import PACKAGE_INPUT, free_port, scrape, seed, stack_env

from .harness import agency_key, clinic_key, database, ledger_check, stack

SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))
CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "16"))
WORKERS = int(os.environ.get("BENCH_LOAD_WORKERS", "3"))
COMPARE = """{ packages(first: 10, sort: {field: PRICE}) { edges { node { id priceKrw clinic { name district }
  items { sessions procedure { name } } nextFreeSlot { id start free } } } } }"""
NEXT_FREE = """query N($id: ID!, $language: String, $followUp: FollowUpKind) { package(id: $id) {
  nextFreeSlot(interpreterLanguage: $language, followUpKind: $followUp) { id } } }"""
SERIES = str(seed_id("oracle-rf-prp"))  # 4 visits; interpreters en (included), zh, ja; follow-ups VIDEO_2
KINDS = ("single", "series", "series+")
# The steps of a flow, as timed and counted: the next free slot per kind, as each kind asks for its own.
STEPS = ("compare", *(f"next free {kind}" for kind in KINDS), "quote", *(f"book {kind}" for kind in KINDS))
# "series+": the series with a Japanese interpreter at every visit and its two video follow-ups.
WITH_INTERPRETER = {"interpreterLanguage": "ja", "followUpPlan": "VIDEO_2"}
COORDINATORS = int(os.environ.get("BENCH_LOAD_INTERPRETERS", "12"))
CALLS_AT_ONCE = 20
CENSUS_ROUNDS = int(os.environ.get("BENCH_LOAD_CENSUS_ROUNDS", "5"))  # flows of each kind counted alone
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
        self.census: Census | None = None

    def call(self, session: requests.Session, step: str, query: str, variables: dict | None = None) -> dict:
        if self.census is not None:
            with self.census.around(step):
                return self._call(session, step, query, variables)
        return self._call(session, step, query, variables)

    def _call(self, session: requests.Session, step: str, query: str, variables: dict | None = None) -> dict:
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

    def client(self, deadline: float, kinds: list[str] | None = None, rounds: int | None = None) -> None:
        session, rng = requests.Session(), random.Random()
        if kinds is None:
            kinds = list(KINDS)
            rng.shuffle(kinds)
        turn = 0
        while time.perf_counter() < deadline and (rounds is None or turn < rounds):
            started = time.perf_counter()
            kind = kinds[turn % len(kinds)]
            turn += 1
            extra = WITH_INTERPRETER if kind == "series+" else {}
            asked = {"language": "ja", "followUp": "REMOTE_VIDEO"} if extra else {}
            try:
                self.call(session, "compare", COMPARE)
                package = self.call(session, f"next free {kind}", NEXT_FREE, {"id": self.packages[kind], **asked})[
                    "package"
                ]
                if not package["nextFreeSlot"]:
                    self._count(kind, "NO_FREE_SLOT")
                    continue
                quote = self.call(
                    session,
                    "quote",
                    QUOTE,
                    {"input": {"packageId": self.packages[kind], "currency": "USD", **extra}},
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


class Census:
    """The database commands each step makes, from every process's ``clinicbridge_db_commands`` before and
    after it, one client alone (nothing else runs), less what two scrapes with nothing between them count
    (a scrape's own gauges read the database)."""

    STREAM = "$cmd.aggregate"  # a database-wide change stream's getMores: the read models following writes

    def __init__(self, metrics: dict[str, str]):
        self.metrics = metrics  # process name -> its /metrics URL
        self.steps: dict[str, Counter] = defaultdict(Counter)
        self.times: Counter = Counter()
        self.idle = self._difference(lambda: None)

    def scrape(self) -> Counter:
        counts: Counter = Counter()
        for name, url in self.metrics.items():
            for sample in scrape(url):
                if sample.name == "clinicbridge_db_commands_total":
                    counts[(name, sample.labels["command"], sample.labels["collection"])] += sample.value
        return counts

    def _difference(self, work) -> Counter:
        before = self.scrape()
        work()
        after = self.scrape()
        return Counter({key: after[key] - before[key] for key in after if after[key] - before[key] > 0})

    @contextmanager
    def around(self, step: str):
        before = self.scrape()
        yield
        after = self.scrape()
        for key in after:
            made = after[key] - before[key] - self.idle[key]
            if made > 0:
                self.steps[step][key] += made
        self.times[step] += 1

    def print(self) -> None:
        names = list(self.metrics)
        print("\ndatabase commands per step (one client alone, mean of its rounds; change-stream getMores apart)")
        print(f"{'step':<18}" + "".join(f"{name:>11}" for name in names) + f"{'all':>8}{'streams':>9}  commands")
        for step in STEPS:
            times = self.times[step] or 1
            made = {key: n / times for key, n in self.steps[step].items()}
            own = {key: n for key, n in made.items() if key[2] != self.STREAM}
            by_process = Counter()
            by_command: Counter = Counter()
            for (name, command, collection), n in own.items():
                by_process[name] += n
                by_command[f"{command} {collection}"] += n
            streams = sum(n for key, n in made.items() if key[2] == self.STREAM)
            detail = ", ".join(f"{n:.0f} {what}" for what, n in by_command.most_common())
            print(
                f"{step:<18}"
                + "".join(f"{by_process[name]:>11.1f}" for name in names)
                + f"{sum(by_process.values()):>8.1f}{streams:>9.1f}  {detail}"
            )


def run() -> None:
    with database() as uri:
        env = stack_env(uri, "bench_l", MIN_NOTICE_HOURS="24")
        seed(env, synthetic={"catalogue": 100, "packages": 100, "bookings": 400})
        key = agency_key(env, "bench-travel")  # registered as a facilitator in the seed (sample)
        admin = clinic_key(env, "oracle-skin-clinic")
        metrics_port = free_port()
        with stack(env, gateway={"METRICS_PORT": str(metrics_port)}, workers=WORKERS) as urls:
            gateway = urls["gateway"]
            ports = {name: int(url.rsplit(":", 1)[1]) for name, url in urls.items()}
            packages = {"single": single_visit_package(gateway, admin), "series": SERIES, "series+": SERIES}
            staff_for_the_rush(gateway, admin)
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
            census = Census(
                {
                    **{name: f"{url}/metrics" for name, url in urls.items() if name != "gateway"},
                    "gateway": f"http://127.0.0.1:{metrics_port}/metrics",
                }
            )
            counted = Flow(gateway, key, packages)
            counted.census = census
            counted.client(time.perf_counter() + 600, kinds=list(KINDS), rounds=3 * CENSUS_ROUNDS)
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
    print(f"{'step':<18}{'count':>8}{'per s':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for step in (*STEPS, "flow"):
        values = sorted(flow.latencies[step]) or [float("nan")]
        print(
            f"{step:<18}{len(flow.latencies[step]):>8}{len(flow.latencies[step]) / SECONDS:>8.1f}{statistics.median(values):>9.1f}"
            f"{values[int(0.99 * (len(values) - 1))]:>9.1f}"
        )
    single, series, plus = (flow.outcomes[(kind, "BOOKED")] / SECONDS for kind in KINDS)
    p50 = {kind: statistics.median(flow.latencies[f"book {kind}"] or [float("nan")]) for kind in KINDS}
    print(
        f"bookings/s: single visit {single:.1f}, series of 4 visits {series:.1f} ({series * 4:.1f} visits/s), "
        f"series with an interpreter and video follow-ups {plus:.1f}; with them / without: "
        f"{plus / series if series else float('nan'):.2f}x bookings/s; booking p50 series/single "
        f"{p50['series'] / p50['single']:.2f}x, with them / without {p50['series+'] / p50['series']:.2f}x"
    )
    for kind in ("series", "series+"):
        advertised = sum(n for (k, outcome), n in flow.outcomes.items() if k == kind and outcome != "NO_FREE_SLOT")
        missed = flow.outcomes[(kind, "NO_SLOT_IN_WINDOW")]
        print(
            f"{kind} flows that booked the advertised start's plan: {flow.outcomes[(kind, 'BOOKED')]} of {advertised}; "
            f"ended NO_SLOT_IN_WINDOW after choosing it: {missed} ({missed / max(advertised, 1):.0%})"
        )
    print(f"errors (other than SLOT_FULL): {sum(flow.errors.values())}")
    for kind, count in flow.errors.most_common():
        print(f"  {count} x {kind}")
    census.print()
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


def staff_for_the_rush(gateway: str, admin_key: str) -> None:
    """Japanese-speaking in-room coordinators at the Oracle clinic, every day from 08:00 to 21:00, and
    consultation hours that take several calls at once: enough people and calls for the rush."""
    headers = {"Authorization": f"Bearer {admin_key}"}
    days = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
    hours = [{"weekday": day, "from": "08:00", "to": "21:00"} for day in days]

    def call(query: str, variables: dict) -> dict:
        answer = requests.post(
            f"{gateway}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=30
        ).json()
        assert "errors" not in answer, answer
        return answer["data"]

    for number in range(COORDINATORS):
        person = {"name": f"Bench coordinator {number + 1}", "languages": ["ja"], "level": "IN_ROOM", "hours": hours}
        made = call(
            "mutation C($input: InterpreterInput!) { createInterpreter(input: $input) { errors { code } } }",
            {"input": person},
        )["createInterpreter"]
        assert made["errors"] == [], made
    set_hours = call(
        'mutation H($input: ConsultationHoursInput!) { setConsultationHours(clinic: "oracle-skin-clinic", '
        "input: $input) { errors { code } } }",
        {"input": {"minutes": 30, "calls": CALLS_AT_ONCE, "hours": hours}},
    )["setConsultationHours"]
    assert set_hours["errors"] == [], set_hours
