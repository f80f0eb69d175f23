"""Real processes for tests and benches: free ports and services under gunicorn."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

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
