"""Catalogue: a filtered clinic listing over 10,000 synthetic clinics, next to /healthz (the floor)."""

from __future__ import annotations

import os
import time

from tests.support import seed, stack_env

from .harness import database, stack, table, wrk

CLINICS = int(os.environ.get("BENCH_CLINICS", "10000"))
LISTING = "/clinics?district=GANGNAM,SINSA&language=en&languageLevel=inRoom&service=INTERPRETER&sort=name&limit=20"
CASES = [
    ("GET /healthz (floor)", "/healthz"),
    ("GET /clinics/{slug}", "/clinics/synthetic-clinic-04242"),
    (
        "GET /clinics?ids= (20 slugs, the gateway's batch)",
        "/clinics?ids=" + ",".join(f"synthetic-clinic-{i:05d}" for i in range(100, 2100, 100)),
    ),
    ("GET /clinics?kind=HOSPITAL (10% of clinics)", "/clinics?kind=HOSPITAL&limit=20"),
    ("GET filtered clinic listing (below)", LISTING),
]


def run() -> None:
    with database() as uri:
        env = stack_env(uri, "bench")
        started = time.perf_counter()
        seed(env, ("catalogue",), synthetic={"catalogue": CLINICS})
        print(f"loaded {CLINICS} synthetic clinics in {time.perf_counter() - started:.1f}s")
        with stack(env, ("catalogue",)) as urls:
            base = urls["catalogue"]
            rows, floor = [], {}
            for connections in (1, 8):
                for name, path in CASES:
                    figures = {**wrk(f"{base}{path}", connections), "connections": connections}
                    floor.setdefault(connections, figures)
                    rows.append((name, figures))
    table(f"catalogue, {CLINICS} synthetic clinics, gunicorn 2 workers x 4 threads; listing = {LISTING}", rows, floor)
