"""Real processes for tests and benches: free ports and services under gunicorn."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pymongo
import requests
from pymongo import monitoring

from scripts.devstack import stop as stop_process
from services.common.db import wait_for_database

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database_server(port: int | None = None, data: str | None = None):
    """``secantusd-py`` as its own process; yields its URI. A temporary directory unless ``data``
    is given (then it is kept, so a server started again on it finds its data)."""
    port = port or free_port()
    directory = data or tempfile.mkdtemp(prefix="clinicbridge-db-")
    server = subprocess.Popen([str(BIN / "secantusd-py"), "--host", "127.0.0.1", "--port", str(port), "--storage-path", directory,
                               "--log-level", "WARNING"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    uri = f"mongodb://127.0.0.1:{port}"
    try:
        wait_for_database(uri)
        yield uri
    finally:
        stop_process(server)
        if data is None:
            shutil.rmtree(directory, ignore_errors=True)


def wait_until_ready(base: str, process: subprocess.Popen, timeout: float = 30, path: str = "/readyz") -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{base}{path}", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{base} did not become ready")
        time.sleep(0.1)


def plan_stages(plan: dict) -> list[tuple[str, str | None]]:
    """(stage, index name) of every stage of an ``explain`` winning plan."""
    stages = [(plan["stage"], plan.get("indexName"))]
    for child in [plan.get("inputStage")] + plan.get("inputStages", []):
        if child:
            stages += plan_stages(child)
    return stages


@contextmanager
def running_service(name: str, env: dict, workers: int = 1, port: int | None = None, log=None):
    """``services.<name>`` (or ``gateway``) under gunicorn, as `make run` serves it; yields its base URL.
    Its output goes to ``log`` (an open file) when given, else nowhere."""
    port = port or free_port()
    output = log or subprocess.DEVNULL
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "services/common/gunicorn_config.py"),
         "--bind", f"127.0.0.1:{port}", f"{'gateway' if name == 'gateway' else 'services.' + name}.wsgi:app"],
        cwd=ROOT, env={**os.environ, "LOG_LEVEL": "WARNING", **env, "WEB_CONCURRENCY": str(workers)},
        stdout=output, stderr=output,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process)
        yield base
    finally:
        stop_process(process, 15)


def assert_openapi_refs_resolve(document: dict) -> None:
    """Every ``$ref`` of an OpenAPI document points at a schema the document holds."""
    import json

    components = document["components"]["schemas"]
    text = json.dumps(document)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        assert ref.startswith("#/components/schemas/") and ref.split("/")[-1] in components, ref


# -- what a request asks of the database ----------------------------------------------------------

EXPLAINED = ("find", "aggregate", "count", "distinct")


class Recorder(monitoring.CommandListener):
    """The commands sent by the current thread while recording."""

    def __init__(self):
        self.local = threading.local()

    @contextmanager
    def recording(self):
        self.local.commands = []
        try:
            yield self.local.commands
        finally:
            self.local.commands = None

    def started(self, event):
        commands = getattr(self.local, "commands", None)
        if commands is not None and event.command_name not in ("endSessions", "ping", "hello", "isMaster"):
            commands.append((event.command_name, event.database_name, dict(event.command)))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


RECORDER = Recorder()
monitoring.register(RECORDER)  # before any test creates a client: clients made later report to it


def explain(client: pymongo.MongoClient, database: str, name: str, command: dict) -> dict:
    body = {key: value for key, value in command.items() if key not in ("lsid", "$db", "$clusterTime", "txnNumber",
                                                                        "$readPreference", "cursor")}
    if name == "aggregate":
        body["cursor"] = {}
    return client[database].command("explain", body, verbosity="executionStats")


def assert_index_served(client, database: str, commands: list, label: str, index: str | None = None) -> None:
    """Every query in ``commands`` uses an index (``index`` when one is named) and scans no collection."""
    reads = [(name, command) for name, _db, command in commands if name in EXPLAINED]
    assert reads, f"{label} sent no query"
    for name, command in reads:
        plan = explain(client, database, name, command)
        stages = plan_stages(plan["queryPlanner"]["winningPlan"])
        assert any(stage == "IXSCAN" for stage, _ in stages), f"{label}: {name} {command} is not index-served: {stages}"
        assert not any(stage == "COLLSCAN" for stage, _ in stages), f"{label}: {name} {command} scans: {stages}"
        if index:
            assert ("IXSCAN", index) in stages, f"{label} is served by {stages}, not by its declared index {index}"


def run_examples(app, registry, examples: dict, client, database: str) -> None:
    assert set(examples) == set(registry.reads()), "every registered read needs an example here (and no stale example)"
    with app.app_context():
        for name, calls in examples.items():
            operation = registry.reads()[name]
            for call in calls:
                with RECORDER.recording() as commands:
                    call(operation.function)
                # A declared index is checked by name; a description ("agency, ... then created_key") by the plan alone.
                assert_index_served(client, database, commands, name, None if " " in operation.index else operation.index)


def operations(call) -> int:
    """How many queries and updates one request sends to the database (a getMore continues a query)."""
    with RECORDER.recording() as commands:
        answer = call()
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return len([name for name, _db, _command in commands if name != "getMore"])
