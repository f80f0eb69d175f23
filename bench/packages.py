"""Packages: how a filtered, sorted package search grows from 1,000 to 10,000 packages (BENCH_PACKAGE_SIZES).

Two searches per size, each next to /healthz measured at the same moment:
- by clinic: the gateway's path, packages of 20 clinics (what a clinic-side filter resolved to);
- broad: every published package for rolling scars, cheapest first (matches about 40% of them).
"""

from __future__ import annotations

import os
import time

from tests.support import seed, stack_env

from .harness import database, stack, wrk

SIZES = [int(n) for n in os.environ.get("BENCH_PACKAGE_SIZES", "1000,10000").split(",")]
CLINICS = ",".join(f"synthetic-clinic-{i:05d}" for i in range(1, 21))
CASES = [
    ("GET /healthz (floor)", "/healthz"),
    ("GET /packages?clinic=<20 clinics>&sort=price", f"/packages?clinic={CLINICS}&sort=price&limit=20"),
    ("GET /packages?scarType=ROLLING&sort=price", "/packages?scarType=ROLLING&sort=price&limit=20"),
]


def run() -> None:
    with database() as uri:
        env = stack_env(uri, "bench")
        rows, floors = [], {}
        for size in SIZES:
            started = time.perf_counter()
            # The synthetic generator is deterministic: asking for more adds only the new ones.
            seed(env, ("packages",), synthetic={"packages": size})
            print(f"{size} synthetic packages loaded ({time.perf_counter() - started:.0f}s)", flush=True)
            with stack(env, ("packages",)) as urls:
                base = urls["packages"]
                for name, path in CASES:
                    figures = {**wrk(f"{base}{path}", 1), "connections": 1}
                    label = f"{size:>7} pkgs  {name}"
                    if path == "/healthz":
                        floors[size] = figures
                    figures["floor_p50"] = floors[size]["p50_ms"]
                    rows.append((label, figures))
    print("\npackages search, concurrency 1, gunicorn 2 workers x 4 threads")
    print(f"{'case':<68}{'rps':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'x floor p50':>13}")
    for name, f in rows:
        print(
            f"{name:<68}{f['rps']:>8.0f}{f['p50_ms']:>9.2f}{f['p99_ms']:>9.2f}{f['errors'] + f['non2xx']:>8}"
            f"{f['p50_ms'] / f['floor_p50']:>13.1f}"
        )
