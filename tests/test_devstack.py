"""`make run`'s stack: starts, seeds once, serves, stops every process on Ctrl-C, keeps its data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pymongo
import requests

from .support import free_port

ROOT = Path(__file__).resolve().parents[1]


def start(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.devstack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready in {timeout}s")


def interrupt(process: subprocess.Popen) -> str:
    # Ctrl-C in a terminal signals the whole foreground process group.
    os.killpg(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    return output


def gunicorn_master(port: int) -> int:
    """The pid of the gunicorn master listening on ``port`` (its workers' parent)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(),
                    int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]),
                )
            except (OSError, ValueError, IndexError):
                continue
    serving = {
        pid
        for pid, (cmdline, _) in found.items()
        if "gunicorn" in cmdline and f"127.0.0.1:{port} " in cmdline and "keep_running" not in cmdline
    }
    return next(pid for pid in serving if found[pid][1] not in serving)


def port_closed(port: int) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
        return False
    except requests.RequestException:
        return True


def test_make_run_serves_stops_cleanly_and_keeps_its_data(tmp_path, bearer):
    db_port, catalogue_port, packages_port, bookings_port, webhooks_port, gateway_port = (free_port() for _ in range(6))
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    env.update(
        DB_PORT=str(db_port),
        CATALOGUE_PORT=str(catalogue_port),
        PACKAGES_PORT=str(packages_port),
        BOOKINGS_PORT=str(bookings_port),
        WEBHOOKS_PORT=str(webhooks_port),
        GATEWAY_PORT=str(gateway_port),
        METRICS_PORT=str(free_port()),
        DATA_DIR=str(tmp_path),
        WEB_CONCURRENCY="1",
        LOG_LEVEL="WARNING",
    )
    base = f"http://127.0.0.1:{catalogue_port}"

    first = start(env)
    try:
        wait_ready(f"{base}/readyz", first)
        wait_ready(f"http://127.0.0.1:{packages_port}/readyz", first)
        wait_ready(f"http://127.0.0.1:{bookings_port}/readyz", first)
        wait_ready(f"http://127.0.0.1:{webhooks_port}/readyz", first)
        wait_ready(f"http://127.0.0.1:{gateway_port}/readyz", first)
        # The printed demo agency key works, and the gateway reaches every service.
        answer = requests.post(
            f"http://127.0.0.1:{gateway_port}/graphql",
            headers={"Authorization": "Bearer cbk_demo_agency_seoul_trips"},
            json={
                "query": "{ packages(first: 1) { edges { node { clinic { name } nextFreeSlot { start } } } } bookings(first: 1) { totalCount } }"
            },
        )
        assert "errors" not in answer.json(), answer.text
        assert answer.json()["data"]["packages"]["edges"][0]["node"]["nextFreeSlot"]["start"].endswith("+09:00")
        assert requests.get(f"{base}/clinics/asan-medical-center").json()["kind"] == "HOSPITAL"
        # Creating a package makes the packages service ask the catalogue, on the port it was given.
        body = {
            "clinic": "asan-medical-center",
            "title": {"en": "Subcision"},
            "scarTypes": ["ROLLING"],
            "items": [{"procedure": "SUBCISION", "sessions": 1}],
            "sessionIntervalDays": 30,
            "priceKrw": 900_000,
            "cancellationPolicy": {"tiers": [{"daysBefore": 0, "refundPercent": 0}]},
            "minimumStayDays": 3,
        }
        draft = requests.post(f"http://127.0.0.1:{packages_port}/packages", json=body, headers=bearer("PLATFORM_ADMIN"))
        assert draft.status_code == 201, draft.text
        assert draft.json()["downtimeDays"] == 7
        client = pymongo.MongoClient(f"mongodb://127.0.0.1:{db_port}")
        client.clinicbridge_catalogue.clinics.update_one(
            {"slug": "asan-medical-center"}, {"$set": {"known_for": {"en": "kept across restarts"}}}
        )
        client.close()
        # A service that dies is started again, loudly; the rest of the stack never stopped.
        os.kill(gunicorn_master(catalogue_port), signal.SIGKILL)
        wait_ready(f"{base}/readyz", first)
        assert requests.get(f"http://127.0.0.1:{gateway_port}/readyz", timeout=5).status_code == 200
    finally:
        output = interrupt(first)
    assert (
        "!!! [keep_running] gunicorn -c services/common/gunicorn_config.py died (exit -9); starting it again" in output
    )
    assert '"clinics": 5' in output and '"packages": 8' in output and '"slots": ' in output
    assert "cbk_demo_agency_seoul_trips" in output and f"http://127.0.0.1:{gateway_port}/graphql" in output
    assert first.returncode == 0
    assert port_closed(catalogue_port)
    try:
        pymongo.MongoClient(f"mongodb://127.0.0.1:{db_port}", serverSelectionTimeoutMS=300).admin.command("ping")
        database_still_running = True
    except pymongo.errors.PyMongoError:
        database_still_running = False
    assert not database_still_running

    second = start(env)
    try:
        wait_ready(f"{base}/readyz", second)
        assert requests.get(f"{base}/clinics/asan-medical-center").json()["knownFor"] == "kept across restarts"
        assert requests.get(f"{base}/clinics?total=true").json()["totalCount"] == 5
    finally:
        output = interrupt(second)
    assert '"clinics": 0' in output and '"packages": 0' in output  # nothing loaded twice
    assert all(
        port_closed(port) for port in (catalogue_port, packages_port, bookings_port, webhooks_port, gateway_port)
    )


def test_compose_file_follows_the_compose_specification():
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
