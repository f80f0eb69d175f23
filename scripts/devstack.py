"""``make run``: the embedded database (unless MONGO_URI is set), seed data, then every service.

The database runs in its own session so Ctrl-C reaches the services first; once they have
stopped, the database is stopped too. Its data lives under ``.data/`` and survives restarts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from services.common.db import wait_for_database

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SERVICES = ("catalogue", "packages", "bookings", "webhooks")  # each service seeds its own database with its own command
PORTS = {"catalogue": 8001, "packages": 8002, "bookings": 8003, "webhooks": 8004}


def log(message: str) -> None:
    print(f"[clinicbridge] {message}", flush=True)


# WiredTiger checkpoints the embedded server's data this often (its default is 60 s). Under a rush of
# writes, the engine then stalled for tens of seconds inside a read now and then; checkpoints every few
# seconds made those stalls rarer and shorter (docs/performance.md, "Under the rush").
CHECKPOINT_SECONDS = "5"


def database_process(port: str, data: Path, **popen) -> subprocess.Popen:
    """The embedded database (``secantusd-py``) serving ``data`` on 127.0.0.1:``port``, as its own process.
    ``SECANTUS_CHECKPOINT_SECONDS`` from the environment, when set, overrides the checkpoint cadence."""
    env = {
        **os.environ,
        "SECANTUS_CHECKPOINT_SECONDS": os.environ.get("SECANTUS_CHECKPOINT_SECONDS", CHECKPOINT_SECONDS),
    }
    command = [str(BIN / "secantusd-py"), "--host", "127.0.0.1", "--port", port, "--storage-path", str(data)]
    return subprocess.Popen([*command, "--log-level", "WARNING"], env=env, **popen)


def start_database(env: dict) -> subprocess.Popen | None:
    if env.get("MONGO_URI"):
        log("using the MongoDB named by MONGO_URI")
        return None
    port = env.get("DB_PORT", "27018")
    data = Path(env.get("DATA_DIR", ROOT / ".data")) / "db"
    data.mkdir(parents=True, exist_ok=True)
    process = database_process(port, data, start_new_session=True)
    env["MONGO_URI"] = f"mongodb://127.0.0.1:{port}"
    log(f"embedded database (SecantusDB) on 127.0.0.1:{port}, data in {data}")
    return process


def stop(process: subprocess.Popen | None, timeout: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> int:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # the Procfile's commands live in the venv
    for service, port in PORTS.items():  # services find each other on the ports they are given
        env.setdefault(f"{service.upper()}_URL", f"http://127.0.0.1:{env.get(f'{service.upper()}_PORT', port)}")
    database = start_database(env)
    honcho = None
    stopping = False

    def on_signal(signum, _frame):
        nonlocal stopping
        stopping = True
        if honcho is not None and honcho.poll() is None:
            honcho.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        try:
            wait_for_database(env["MONGO_URI"])
        except TimeoutError as exc:
            log(str(exc))
            return 1
        for service in SERVICES:
            subprocess.run([sys.executable, "-m", f"services.{service}", "seed"], env=env, check=True, cwd=ROOT)
        subprocess.run([sys.executable, "-m", "gateway", "init"], env=env, check=True, cwd=ROOT)
        for service in SERVICES:
            port = env.get(f"{service.upper()}_PORT", str(PORTS[service]))
            log(f"{service:<10} http://127.0.0.1:{port}  (OpenAPI: /openapi.json)")
        log(f"GraphQL    http://127.0.0.1:{env.get('GATEWAY_PORT', '8000')}/graphql  (GraphiQL in a browser)")
        metrics = env.get("METRICS_PORT", "8009")
        if metrics not in ("", "0"):
            log(f"metrics    http://127.0.0.1:{metrics}/metrics  (the gateway's; a service's on its own port)")
        if env.get("CLINICBRIDGE_ENV", "development") != "production":
            log("demo API keys (development only), send as 'Authorization: Bearer <key>':")
            subprocess.run([sys.executable, "-m", "gateway", "keys", "demo"], env=env, check=True, cwd=ROOT)
        log("Ctrl-C stops everything")
        if not stopping:
            honcho = subprocess.Popen([str(BIN / "honcho"), "start", "-f", str(ROOT / "Procfile")], env=env, cwd=ROOT)
            honcho.wait()
        return 0
    finally:
        stop(honcho)
        stop(database)
        log("stopped")


if __name__ == "__main__":
    sys.exit(main())
