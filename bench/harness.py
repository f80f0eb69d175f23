"""What every bench needs: a database, services under gunicorn, and wrk to measure them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import requests

from tests import support
from tests.support import SERVICES, database_server

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (Debian package) ...", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


@contextmanager
def database():
    """MONGO_URI if set, else a SecantusDB process on a free port with a temporary directory."""
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    with database_server() as uri:
        yield uri


def agency_key(env: dict, agency: str) -> str:
    """A new agency API key in the stack's gateway database (``python -m gateway keys create``)."""
    return api_key(env, agency, "AGENCY", "--agency", agency)


def clinic_key(env: dict, clinic: str) -> str:
    """A new API key of a clinic's admin in the stack's gateway database."""
    return api_key(env, f"{clinic}-admin", "CLINIC_ADMIN", "--clinic", clinic)


def api_key(env: dict, name: str, role: str, *scope: str) -> str:
    created = subprocess.run(
        [sys.executable, "-m", "gateway", "keys", "create", "--name", name, "--role", role, *scope],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(created.stdout)["key"]


def register_facilitators(gateway: str, env: dict, agencies: list[str]) -> None:
    """Record each agency's registration as a facilitator (a platform admin, through the gateway): only a
    registered facilitator books."""
    from datetime import timedelta

    from services.common.clock import seoul_today

    headers = {"Authorization": f"Bearer {api_key(env, 'bench-platform', 'PLATFORM_ADMIN')}"}
    document = """mutation R($agency: String!, $input: FacilitatorRegistrationInput!) {
      recordFacilitatorRegistration(agency: $agency, input: $input) { errors { code } } }"""
    today = seoul_today()
    for agency in agencies:
        body = {
            "name": f"{agency} (bench)",
            "number": f"FA-BENCH-{agency}",
            "issuedOn": (today - timedelta(days=365)).isoformat(),
            "expiresOn": (today + timedelta(days=730)).isoformat(),
        }
        answer = requests.post(
            f"{gateway}/graphql",
            json={"query": document, "variables": {"agency": agency, "input": body}},
            headers=headers,
            timeout=30,
        ).json()
        assert "errors" not in answer and answer["data"]["recordFacilitatorRegistration"]["errors"] == [], answer


@contextmanager
def stack(env: dict, services: tuple[str, ...] = SERVICES, **kwargs):
    """The stack as the tests start it (``tests.support.stack``); with ``BENCH_LOGS=<dir>`` each
    process's output goes to ``<dir>/<name>.log``."""
    kwargs.setdefault("workers", 2)
    with support.stack(env, services, log_dir=os.environ.get("BENCH_LOGS"), **kwargs) as urls:
        yield urls


def wrk(
    url: str, connections: int, seconds: int = SECONDS, headers: dict | None = None, body: dict | None = None
) -> dict:
    """wrk's figures for ``url`` (a POST of ``body`` as JSON when given)."""
    command = [
        ensure_wrk(),
        f"-t{min(connections, 2)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench/report.lua"),
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    env = {**os.environ, **({"WRK_BODY": json.dumps(body)} if body is not None else {})}
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(output.strip().splitlines()[-1])


def table(title: str, rows: list[tuple[str, dict]], floor: dict[int, dict] | None = None) -> None:
    """Print figures side by side; ``floor`` (per concurrency) adds the p50 ratio to it."""
    print(f"\n{title}")
    print(f"{'case':<58}{'conc':>5}{'rps':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'x floor p50':>13}")
    for name, figures in rows:
        ratio = ""
        if floor and figures["connections"] in floor:
            ratio = f"{figures['p50_ms'] / floor[figures['connections']]['p50_ms']:.1f}"
        print(
            f"{name:<58}{figures['connections']:>5}{figures['rps']:>9.0f}{figures['p50_ms']:>9.2f}"
            f"{figures['p99_ms']:>9.2f}{figures['errors'] + figures['non2xx']:>8}{ratio:>13}"
        )


def ledger_check(env: dict, urls: dict) -> None:
    """Print what ``python -m services.bookings check`` finds on the bench's stack: nothing broken, or every break."""
    if not (ROOT / "services" / "bookings" / "checker.py").exists():
        print("seat ledger check: none in this tree")
        return
    done = subprocess.run(
        [sys.executable, "-m", "services.bookings", "check"],
        cwd=ROOT,
        env={**os.environ, **env, "PACKAGES_URL": urls["packages"]},
        capture_output=True,
        text=True,
    )
    broken = json.loads(done.stdout).get("broken") if done.stdout.strip() else None
    if done.returncode == 0:
        print("seat ledger check (python -m services.bookings check): nothing broken")
    else:
        print(
            f"seat ledger check FAILED (exit {done.returncode}): {broken if broken is not None else done.stderr[-2000:]}"
        )
