"""Catalogue: a filtered clinic listing over 10,000 synthetic clinics, next to /healthz (the floor)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from .harness import ROOT, database, service, table, wrk

CLINICS = int(os.environ.get("BENCH_CLINICS", "10000"))
LISTING = "/clinics?district=GANGNAM,SINSA&language=en&languageLevel=inRoom&service=INTERPRETER&sort=name&limit=20"
CASES = [
    ("GET /healthz (floor)", "/healthz"),
    ("GET /clinics/{slug}", "/clinics/synthetic-clinic-04242"),
    ("GET /clinics?ids= (20 slugs, the gateway's batch)", "/clinics?ids=" + ",".join(f"synthetic-clinic-{i:05d}" for i in range(100, 2100, 100))),
    ("GET /clinics?kind=HOSPITAL (10% of clinics)", "/clinics?kind=HOSPITAL&limit=20"),
    ("GET filtered clinic listing (below)", LISTING),
]


def run() -> None:
    with database() as uri:
        env = {"MONGO_URI": uri, "CATALOGUE_DB_NAME": "bench_catalogue", "LOG_LEVEL": "WARNING"}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "services.catalogue", "seed", "--synthetic", str(CLINICS)],
                       cwd=ROOT, env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)
        print(f"loaded {CLINICS} synthetic clinics in {time.perf_counter() - started:.1f}s")
        with service("services.catalogue", env) as base:
            rows, floor = [], {}
            for connections in (1, 8):
                for name, path in CASES:
                    figures = {**wrk(f"{base}{path}", connections), "connections": connections}
                    floor.setdefault(connections, figures)
                    rows.append((name, figures))
    table(f"catalogue, {CLINICS} synthetic clinics, gunicorn 2 workers x 4 threads; listing = {LISTING}", rows, floor)
