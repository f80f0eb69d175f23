"""`make test-clock`: the date-sensitive tests at the edges of the Seoul day, under libfaketime.

Each run starts pytest under ``faketime`` with a fixed offset from the real clock, so pytest and
every process it starts (the database server, the services under gunicorn, the gateway, the
dispatchers) read the same fake time, which then runs on as usual: a run that starts at 14:59:30
UTC crosses Seoul's midnight 30 seconds in. (The monotonic clock is shifted too: leaving it real
makes libfaketime's ``clock_nanosleep`` refuse Python's sleeps.)

``python -m scripts.test_clock`` runs every instant; ``--at NAME`` runs one (see ``INSTANTS``);
extra arguments after ``--`` go to pytest.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime

from services.common.clock import utc_date, utcnow

# What the tests do decides the set (docs/testing.md): every test that builds a date, a slot, an
# availability range, a window, a hold, a booking, a refund or a care plan, or reads a day bucket.
# Left out: tests that time real waits (webhook backoff, outages), which libfaketime's timed waits
# distort, and tests that build no date.
DATE_SENSITIVE = [
    "tests/unit",
    "tests/bookings",
    "tests/packages/test_quotes.py",
    "tests/gateway/test_flows.py",
    "tests/gateway/test_visits.py",
    "tests/gateway/test_screening.py",
    "tests/gateway/test_treatment_options.py",
    "tests/gateway/test_acceptance.py",
    "tests/gateway/test_clinic_admin.py",
    "tests/gateway/test_events.py",
    "tests/security/test_authorization.py",
    "tests/security/test_privacy.py",
    "tests/webhooks/test_endpoints.py",
    "tests/test_store_queries.py",
]


# libfaketime stalls a timed wait in a thread (threading.Event.wait(timeout)): tests that need one are marked.
# Left out too, for time: the fault matrix (a crash at every step of every flow: what it proves is the ledger's
# recovery, and the flows it crashes are the ones tests/bookings runs here) and the query counts over synthetic
# catalogues (the explained queries run here).
UNDER_FAKETIME = [
    "-m",
    "not real_waits",
    "--ignore=tests/bookings/test_fault_matrix.py",
    "--deselect=tests/test_store_queries.py::test_next_free_slots_cost_the_same_few_queries_for_1_or_60_packages",
]


def instants(today: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (UTC instant, the tests run there)."""
    return {
        "before-seoul-midnight": (f"{today} 14:59:30", DATE_SENSITIVE),
        "after-seoul-midnight": (f"{today} 15:00:30", DATE_SENSITIVE),
        "utc-midnight": (f"{today} 23:59:30", DATE_SENSITIVE),
        "seoul-new-year": ("2026-12-31 15:00:30", DATE_SENSITIVE),
        "new-york-dst": ("2027-03-14 06:59:30", DATE_SENSITIVE),
        "seoul-leap-day": ("2028-02-28 15:00:30", DATE_SENSITIVE),
    }


def offset_to(instant: str) -> str:
    """libfaketime's offset (signed seconds) from now to ``instant`` UTC."""
    target = datetime.fromisoformat(instant).replace(tzinfo=UTC)
    seconds = round((target - utcnow()).total_seconds())
    return f"{seconds:+d}"


def run(name: str, instant: str, tests: list[str], pytest_args: list[str]) -> tuple[int, float]:
    command = [
        "faketime",
        "-f",
        offset_to(instant),
        sys.executable,
        "-m",
        "pytest",
        *tests,
        *pytest_args,
        *UNDER_FAKETIME,
    ]
    print(f"\n=== {name}: the suite starts at {instant} UTC ===", flush=True)
    started = time.monotonic()
    code = subprocess.call(command)
    return code, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    known = instants(utc_date(utcnow()).isoformat())  # the day of the run: near the dates tests build
    parser.add_argument("--at", choices=sorted(known), action="append", help="one instant (repeatable)")
    args, pytest_args = parser.parse_known_args()
    if shutil.which("faketime") is None:
        print("faketime is not installed (Debian's faketime package; `make test-clock` installs it)")
        return 2
    pytest_args = [a for a in pytest_args if a != "--"] or ["-q", "-p", "no:cacheprovider"]
    results = {name: run(name, *known[name], pytest_args) for name in (args.at or known)}
    print("\n=== the suite at the edges of the day ===")
    for name, (code, seconds) in results.items():
        print(f"{name:24} {known[name][0]} UTC  {'passed' if code == 0 else f'FAILED ({code})':12} {seconds:6.0f} s")
    return max(code for code, _ in results.values())


if __name__ == "__main__":
    sys.exit(main())
