"""Loading a large catalogue: ``python -m services.packages seed --synthetic N``, the documented way, at
10,000 and 100,000 packages, three runs in a row each on a new database (after the catalogue's own seed,
whose knowledge the packages are built from). Prints each run's time, packages per second, whether it
succeeded, and the batches the load had to try again (``upsert_missing`` logs each).

    make bench BENCH_ARGS=seed           (BENCH_SEED_COUNTS="10000 100000", BENCH_SEED_RUNS=3)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pymongo

from tests.support import ROOT, seed, stack_env

from .harness import database

COUNTS = [int(n) for n in os.environ.get("BENCH_SEED_COUNTS", "10000 100000").split()]
RUNS = int(os.environ.get("BENCH_SEED_RUNS", "3"))


def run() -> None:
    print("\npython -m services.packages seed --synthetic N, on a new database each run (SecantusDB, or MONGO_URI)")
    print(f"{'packages':>10}{'run':>5}{'seconds':>9}{'per s':>8}  outcome")
    for count in COUNTS:
        for number in range(1, RUNS + 1):
            with database() as uri:
                env = stack_env(uri, f"bench_seed{count}_{number}")
                seed(env, ("catalogue",))
                began = time.monotonic()
                done = subprocess.run(
                    [sys.executable, "-m", "services.packages", "seed", "--synthetic", str(count)],
                    cwd=ROOT,
                    env={**os.environ, **env, "LOG_LEVEL": "WARNING"},
                    capture_output=True,
                    text=True,
                )
                took = time.monotonic() - began
                client = pymongo.MongoClient(uri)
                stored = client[env["PACKAGES_DB_NAME"]].packages.count_documents({"source": "synthetic"})
                for name in (env[key] for key in env if key.endswith("_DB_NAME")):
                    client.drop_database(name)
                client.close()
            retried = done.stderr.count("trying with")
            outcome = (
                f"ok, {stored} stored, {retried} batches tried again"
                if done.returncode == 0 and stored == count
                else f"FAILED (exit {done.returncode}, {stored} stored): {done.stderr.strip().splitlines()[-1:]}"
            )
            print(f"{count:>10}{number:>5}{took:>9.1f}{count / took:>8.0f}  {outcome}", flush=True)
