"""A page's cost at two catalogue sizes, measured side by side in one run.

For each size N (default 1,000 and 10,000): N synthetic clinics, N packages (one per clinic) and
10 N slots, loaded through the services' own ``seed --synthetic`` commands, then every service and
the gateway under gunicorn (2 workers each). Measured at c=1 after a warm-up:
- the compare page through the gateway (20 packages by price, each with clinic, procedures and
  next free slot);
- the service calls behind it, made directly: the next free slot of those 20 packages, the sorted
  package search with its total, the first page of clinics, and one clinic.
Prints p50/p99 per size and the ratio of the largest size's p50 to the smallest's.

    make bench BENCH_ARGS=scale        (BENCH_SCALE_SIZES=1000,10000; BENCH_SECONDS per case)
"""

from __future__ import annotations

import os
import time

import requests

from tests.support import seed, stack_env

from .gateway import COMPARE, _ok, measure
from .harness import SECONDS, database, stack

SIZES = [int(n) for n in os.environ.get("BENCH_SCALE_SIZES", "1000,10000").split(",")]
COMPARE_20 = {"query": COMPARE["query"]}
# The same page of packages offering a Japanese interpreter, each with its next start that has one at every visit.
COMPARE_20_JA = {
    "query": COMPARE["query"]
    .replace("sort: {field: PRICE}", 'sort: {field: PRICE}, filter: {interpreterLanguage: "ja"}')
    .replace("nextFreeSlot {", 'nextFreeSlot(interpreterLanguage: "ja") {')
}


def cases(gateway: str, urls: dict) -> list[tuple[str, object]]:
    page = requests.post(f"{urls['packages']}/packages/search", json={"sort": "price", "limit": 20}, timeout=30).json()[
        "items"
    ]
    wanted = {"packages": [{"packageId": p["id"], "clinic": p["clinic"]} for p in page]}
    slug = page[0]["clinic"]
    return [
        ("compare page through the gateway", lambda s: _ok(s.post(f"{gateway}/graphql", json=COMPARE_20, timeout=30))),
        (
            "compare page, a Japanese interpreter",
            lambda s: _ok(s.post(f"{gateway}/graphql", json=COMPARE_20_JA, timeout=30)),
        ),
        (
            "POST /availability/next (20 packages)",
            lambda s: s.post(f"{urls['bookings']}/availability/next", json=wanted, timeout=30).raise_for_status(),
        ),
        (
            "POST /packages/search by price, 20, total",
            lambda s: s.post(
                f"{urls['packages']}/packages/search", json={"sort": "price", "limit": 20, "total": True}, timeout=30
            ).raise_for_status(),
        ),
        (
            "GET /clinics?limit=20",
            lambda s: s.get(f"{urls['catalogue']}/clinics", params={"limit": 20}, timeout=30).raise_for_status(),
        ),
        ("GET /clinics/{slug}", lambda s: s.get(f"{urls['catalogue']}/clinics/{slug}", timeout=30).raise_for_status()),
    ]


def run() -> None:
    results: dict[int, dict[str, dict]] = {}
    seeding: dict[int, float] = {}
    with database() as uri:
        for size in SIZES:
            env = stack_env(uri, f"bench_s{size}")
            started = time.perf_counter()
            seed(env, synthetic={"catalogue": size, "packages": size, "bookings": size * 10})
            seeding[size] = time.perf_counter() - started
            with stack(env, gateway={}) as urls:
                gateway = urls["gateway"]
                measured = cases(gateway, urls)
                for _, call in measured:  # warm every worker (and its read models) first, untimed
                    measure(call, 4, seconds=2)
                results[size] = {name: measure(call, 1) for name, call in measured}
    smallest, largest = SIZES[0], SIZES[-1]
    print(
        f"\ncost at catalogue size: N clinics, N packages, 10 N slots; c=1, {SECONDS} s per case; "
        "SecantusDB (or MONGO_URI); 2 gunicorn workers per process"
    )
    print("seeding: " + ", ".join(f"N={size}: {seconds:.0f} s" for size, seconds in seeding.items()))
    header = "".join(f"{f'p50 N={n}':>13}{f'p99 N={n}':>13}" for n in SIZES)
    print(f"{'case':<44}{header}{f'p50 x{largest}/{smallest}':>16}{'errors':>8}")
    for name in results[smallest]:
        figures = "".join(f"{results[n][name]['p50']:>13.2f}{results[n][name]['p99']:>13.2f}" for n in SIZES)
        ratio = results[largest][name]["p50"] / results[smallest][name]["p50"]
        errors = sum(results[n][name]["errors"] for n in SIZES)
        print(f"{name:<44}{figures}{ratio:>16.2f}{errors:>8}")
    for size in SIZES:
        for name, figures in results[size].items():
            for kind, count in figures["kinds"].items():
                print(f"  N={size}, {name}: {count} x {kind}")
