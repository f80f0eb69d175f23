"""Real processes for tests and benches: free ports and services under gunicorn."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time as clock
import uuid
from contextlib import ExitStack, contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pymongo
import requests
from pymongo import monitoring

from scripts.devstack import database_process
from scripts.devstack import stop as stop_process
from services.bookings import checker
from services.bookings.models import Booking, IdempotencyKey, Slot
from services.catalogue.models import Clinic
from services.common.clock import SEOUL, seoul_date, seoul_now, seoul_today, utcnow
from services.common.config import Settings
from services.common.db import wait_for_database
from services.common.tokens import Principal, mint
from services.common.validation import contract_enum
from services.packages.models import Package, PackageVersion
from services.packages.seed import seed_id

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
    server = database_process(str(port), Path(directory), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    uri = f"mongodb://127.0.0.1:{port}"
    try:
        wait_for_database(uri)
        yield uri
    finally:
        stop_process(server)
        if data is None:
            shutil.rmtree(directory, ignore_errors=True)


def wait_until_ready(base: str, process: subprocess.Popen, timeout: float = 30, path: str = "/readyz") -> None:
    deadline = clock.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{base}{path}", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or clock.monotonic() > deadline:
            raise RuntimeError(f"{base} did not become ready")
        clock.sleep(0.1)


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
        [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / ("gateway" if name == "gateway" else "services/common") / "gunicorn_config.py"),
            "--bind",
            f"127.0.0.1:{port}",
            f"{'gateway' if name == 'gateway' else 'services.' + name}.wsgi:app",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "LOG_LEVEL": "WARNING",
            **({"METRICS_PORT": str(free_port())} if name == "gateway" else {}),
            **env,
            "WEB_CONCURRENCY": str(workers),
        },
        stdout=output,
        stderr=output,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process)
        yield base
    finally:
        stop_process(process, 15)


SERVICES = ("catalogue", "packages", "bookings", "webhooks")  # in the order they call each other
CALLS = {"packages": ("CATALOGUE_URL", "catalogue"), "bookings": ("PACKAGES_URL", "packages")}


def stack_env(uri: str, prefix: str, **extra: str) -> dict:
    """The environment of a whole stack on databases of its own (``<prefix>_<service>``), quiet
    logs, and no rate limit in the way."""
    return {
        "MONGO_URI": uri,
        "LOG_LEVEL": "WARNING",
        "GATEWAY_RATE_LIMIT": "1000000/minute",
        **{f"{name.upper()}_DB_NAME": f"{prefix}_{name}" for name in (*SERVICES, "gateway")},
        **extra,
    }


def seed(
    env: dict, services: tuple[str, ...] = SERVICES, synthetic: dict[str, int] | None = None, command: str = "seed"
) -> None:
    """Each service's seed (and ``synthetic[name]`` synthetic records) through its own command;
    ``command="init"``: its indexes only."""
    for name in services:
        count = (synthetic or {}).get(name)
        subprocess.run(
            [sys.executable, "-m", f"services.{name}", command, *(["--synthetic", str(count)] if count else [])],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.DEVNULL,
        )


def load_sample_interpreters(env: dict) -> None:
    """The bookings service's sample interpreters (and their providers), consultation hours and registrations
    (the seed's agencies and clinics may book), without its sample slots."""
    load = (
        "from services.bookings import seed; from services.common.config import from_env; "
        "from services.common.db import connect_database; connect_database(from_env('bookings')); "
        "seed.load_interpreters(); seed.load_consultation_hours(); seed.load_registrations()"
    )
    subprocess.run([sys.executable, "-c", load], cwd=ROOT, env={**os.environ, **env}, check=True)


def drop_databases(client: pymongo.MongoClient, env: dict) -> None:
    for name, value in env.items():
        if name.endswith("_DB_NAME"):
            client.drop_database(value)


@contextmanager
def stack(
    env: dict,
    services: tuple[str, ...] = SERVICES,
    *,
    gateway: dict | None = None,
    workers: int | dict[str, int] = 1,
    ports: dict[str, int] | None = None,
    log_dir: str | None = None,
):
    """The services under gunicorn, as `make run` serves them, each told where the ones it calls are
    (unless ``env`` already says), and with ``gateway`` (its own extra environment) the gateway over
    them. Yields ``{name: base URL}``. ``log_dir``: each process's output in ``<log_dir>/<name>.log``."""
    urls: dict[str, str] = {}
    with ExitStack() as running:

        def start(name: str, environment: dict) -> str:
            count = workers.get(name, 1) if isinstance(workers, dict) else workers
            log = running.enter_context(open(Path(log_dir) / f"{name}.log", "a")) if log_dir else None
            return running.enter_context(running_service(name, environment, count, (ports or {}).get(name), log))

        for name in services:
            wired = {CALLS[name][0]: urls[CALLS[name][1]]} if name in CALLS and CALLS[name][1] in urls else {}
            urls[name] = start(name, {**env, **wired})
        if gateway is not None:
            upstream = {f"{name.upper()}_URL": url for name, url in urls.items()}
            urls["gateway"] = start("gateway", {**env, **upstream, **gateway})
        yield urls


@contextmanager
def dispatchers(env: dict, urls: dict, count: int = 1, log_dir: str | None = None, **extra: str):
    """``count`` webhook dispatcher processes (``python -m services.webhooks dispatch``) reading the
    feeds of the stack at ``urls``; yields their processes (a test may kill one)."""
    environment = {
        **os.environ,
        **env,
        "BOOKINGS_URL": urls["bookings"],
        "PACKAGES_URL": urls["packages"],
        **extra,
    }
    processes: list[subprocess.Popen] = []
    with ExitStack() as logs:
        for index in range(count):
            output = logs.enter_context(open(Path(log_dir) / f"dispatcher-{index}.log", "a")) if log_dir else None
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "services.webhooks", "dispatch"],
                    cwd=ROOT,
                    env=environment,
                    stdout=output or subprocess.DEVNULL,
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            yield processes
        finally:
            for process in processes:
                stop_process(process, timeout=5)


# Every event type, as the GraphQL enum names them (BOOKING_CREATED), from the contracts.
EVENT_TYPES = [
    name.upper().replace(".", "_")
    for name in (*contract_enum("bookings/defs", "eventType"), *contract_enum("packages/defs", "eventType"))
]


class Receiver:
    """A partner's webhook endpoint: a real HTTP server on a free loopback port that keeps every
    request it gets (``received``: headers, body, when: ``at`` monotonic, ``wall`` epoch). ``answer(n)`` gives the status of the n-th
    request (0-based, default 200), or the status and headers to answer with; ``delay`` holds each request that long before
    answering. ``overlaps`` counts requests for a ``webhook-id`` that arrived while another for it was open;
    ``most_open``, the most requests it had open at once."""

    def __init__(self, answer=None, delay: float = 0.0):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.answer = answer or (lambda n: 200)
        self.delay = delay
        self.received: list[dict] = []
        self.overlaps = 0
        self.most_open = 0
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                event_id = self.headers.get("webhook-id", "")
                with receiver._lock:
                    n = len(receiver.received)
                    receiver.received.append(
                        {"headers": dict(self.headers), "body": body, "at": clock.monotonic(), "wall": clock.time()}
                    )
                    receiver.overlaps += receiver._open.get(event_id, 0) > 0
                    receiver._open[event_id] = receiver._open.get(event_id, 0) + 1
                    receiver.most_open = max(receiver.most_open, sum(receiver._open.values()))
                try:
                    clock.sleep(receiver.delay)
                    answer = receiver.answer(n)
                    status, headers = answer if isinstance(answer, tuple) else (answer, {})
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", receiver.redirect_to)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                finally:
                    with receiver._lock:
                        receiver._open[event_id] -= 1

            def log_message(self, *args):
                pass

        self.redirect_to = "http://127.0.0.1:9/"
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        with self._lock:
            return [json.loads(r["body"]) for r in self.received]

    def wait_for(self, check, timeout: float = 30.0) -> None:
        """Until ``check(self)`` holds; fails the test after ``timeout``."""
        deadline = clock.monotonic() + timeout
        while not check(self):
            assert clock.monotonic() < deadline, f"the receiver got {len(self.received)} requests"
            clock.sleep(0.05)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class DripReceiver:
    """A hostile webhook endpoint: it reads each request, answers ``HTTP/1.1 200 OK\\r\\n``, then sends one
    byte of a header every ``interval`` seconds for as long as the caller stays, and never finishes. It keeps
    every connection (``connections``: webhook-id, opened and closed, monotonic), the most connections open at
    once (``most_open``) and, per webhook-id, the most open at once (``most_per_event``)."""

    def __init__(self, interval: float = 1.0):
        self.interval = interval
        self.connections: list[dict] = []
        self.most_open = 0
        self.most_per_event: dict[str, int] = {}
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._sockets: list[socket.socket] = []
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hooks"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self._sockets.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _read_request(conn: socket.socket) -> str:
        """The request's webhook-id, once its headers and body are read."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return ""
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        headers = dict(line.split(":", 1) for line in head.decode("latin-1").split("\r\n")[1:] if ":" in line)
        headers = {name.strip().lower(): value.strip() for name, value in headers.items()}
        while len(body) < int(headers.get("content-length", 0)):
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return headers.get("webhook-id", "")

    def _serve(self, conn: socket.socket) -> None:
        import select

        event_id = self._read_request(conn)
        record = {"webhook_id": event_id, "opened": clock.monotonic(), "closed": None}
        with self._lock:
            self.connections.append(record)
            self._open[event_id] = self._open.get(event_id, 0) + 1
            self.most_per_event[event_id] = max(self.most_per_event.get(event_id, 0), self._open[event_id])
            self.most_open = max(self.most_open, sum(self._open.values()))
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not self._closing.is_set():
                readable, _, _ = select.select([conn], [], [], self.interval)
                if readable and not conn.recv(1024):  # the caller hung up
                    break
                if not readable:
                    conn.sendall(b"x")
        except OSError:
            pass
        finally:
            with self._lock:
                self._open[event_id] -= 1
                record["closed"] = clock.monotonic()
            conn.close()

    def open_now(self) -> int:
        with self._lock:
            return sum(self._open.values())

    def close(self) -> None:
        self._closing.set()
        self.server.close()
        for conn in self._sockets:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class SpanReceiver:
    """An OpenTelemetry collector's trace endpoint (OTLP over HTTP, protobuf) on a free loopback port: the
    processes of a stack export their spans to ``endpoint`` (``OTEL_EXPORTER_OTLP_ENDPOINT``), and it keeps
    every span (``spans``: service, name, kind, trace id, span id, parent span id or None)."""

    def __init__(self):
        import gzip
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
            ExportTraceServiceResponse,
        )

        self.spans: list[dict] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                exported = ExportTraceServiceRequest()
                exported.ParseFromString(body)
                for resource in exported.resource_spans:
                    attributes = {a.key: a.value.string_value for a in resource.resource.attributes}
                    for scope in resource.scope_spans:
                        with receiver._lock:
                            receiver.spans += [
                                {
                                    "service": attributes.get("service.name"),
                                    "name": span.name,
                                    "kind": span.kind,
                                    "trace_id": span.trace_id.hex(),
                                    "span_id": span.span_id.hex(),
                                    "parent": span.parent_span_id.hex() or None,
                                }
                                for span in scope.spans
                            ]
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def trace(self, trace_id: str) -> list[dict]:
        with self._lock:
            return [span for span in self.spans if span["trace_id"] == trace_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def scrape(url: str) -> list:
    """The samples of a Prometheus text exposition at ``url`` (parsed as Prometheus parses it)."""
    from prometheus_client.parser import text_string_to_metric_families

    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain"), answer.text
    return [sample for family in text_string_to_metric_families(answer.text) for sample in family.samples]


def sample(samples: list, name: str, **labels: str) -> float:
    """The sum of the samples named ``name`` whose labels include ``labels`` (0 when there is none)."""
    return sum(s.value for s in samples if s.name == name and labels.items() <= s.labels.items())


def eventually(check, timeout: float = 30.0, what: str = "the condition") -> None:
    """Until ``check()`` holds; fails the test after ``timeout`` (a bound on liveness, not a measure of speed)."""
    deadline = clock.monotonic() + timeout
    while not check():
        assert clock.monotonic() < deadline, f"{what} did not come true"
        clock.sleep(0.1)


def assert_openapi_refs_resolve(document: dict) -> None:
    """Every ``$ref`` of an OpenAPI document points at a schema the document holds."""
    import json

    components = document["components"]["schemas"]
    text = json.dumps(document)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        assert ref.startswith("#/components/schemas/") and ref.split("/")[-1] in components, ref


# -- what a request asks of the database ----------------------------------------------------------

EXPLAINED = ("find", "aggregate", "count", "distinct", "findAndModify")


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
    body = {
        key: value
        for key, value in command.items()
        if key not in ("lsid", "$db", "$clusterTime", "txnNumber", "$readPreference", "cursor")
    }
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
                assert_index_served(
                    client, database, commands, name, None if " " in operation.index else operation.index
                )


def operations(call) -> int:
    """How many queries and updates one request sends to the database (a getMore continues a query)."""
    with RECORDER.recording() as commands:
        answer = call()
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return len([name for name, _db, _command in commands if name != "getMore"])


# -- patients ----------------------------------------------------------------------------------------

PATIENT = {
    "name": "Maya Chen",
    "email": "maya@example.com",
    "nationality": "US",
    "preferredLanguage": "en",
    "homeTimeZone": "America/New_York",
    "fitzpatrickSkinType": "III",
    "isotretinoinLast6Months": False,
    "activeAcne": False,
}


def patient(**answers) -> dict:
    """A patient with screening answers of their own (camelCase, as the API takes them)."""
    return {**PATIENT, **answers}


def care_plan_booking(
    first: datetime | None = None, home: str = "Asia/Tokyo", sessions: dict | None = None, follow_up: str | None = None
) -> dict:
    """A booking of its first visit only, as the bookings service records it, with its copy of an
    ice-pick package (TCA CROSS and a fractional CO₂ laser, 28 days apart, a 5-day stay) and that
    package's texts (Japanese for some): what a care plan is built from (the later visits at the
    package's interval)."""
    sessions = sessions or {"TCA_CROSS": 3, "FRACTIONAL_CO2_LASER": 3}
    names = {"TCA_CROSS": "TCA CROSS (chemical reconstruction)", "FRACTIONAL_CO2_LASER": "Fractional CO₂ laser"}
    package = {
        "title": "Ice-pick scars",
        "items": [{"procedure": code, "name": names[code], "sessions": count} for code, count in sessions.items()],
        "sessionIntervalDays": 28,
        "schedule": {"visits": max(sessions.values()), "tripsNeeded": 3, "minimumStayDays": 5},
        "preparation": [
            {"code": "DAILY_SUNSCREEN", "instruction": "Sunscreen", "daysBefore": 14, "daily": True},
            {"code": "STOP_RETINOIDS", "instruction": "Stop retinoids", "daysBefore": 5, "daily": False},
        ],
        "recovery": [
            {"phase": "IMMEDIATE", "fromDay": 1, "toDay": 3, "expectation": "Redness right after"},
            {"phase": "LONG_TERM", "fromDay": 90, "toDay": 180, "expectation": "Collagen remodels"},
        ],
        "followUpPlans": [{"code": "VIDEO_3", "kind": "REMOTE_VIDEO", "count": 3, "priceKrw": 90_000}],
        "cancellationPolicy": {"tiers": [{"daysBefore": 0, "refundPercent": 0}]},
    }
    texts = {
        "title": {"en": "Ice-pick scars", "ja": "アイスピック瘢痕"},
        "procedures": {
            "TCA_CROSS": {"en": names["TCA_CROSS"], "ja": "TCA CROSS（ケミカル・リコンストラクション）"},
            "FRACTIONAL_CO2_LASER": {"en": names["FRACTIONAL_CO2_LASER"], "ja": "フラクショナルCO2レーザー"},
        },
        "preparation": {"DAILY_SUNSCREEN": {"en": "Sunscreen", "ja": "日焼け止め"}},
        "recovery": {"IMMEDIATE": {"en": "Redness right after", "ja": "直後の赤み（日本語）"}},
        "screeningRules": {},
    }
    start = first or datetime(2027, 3, 1, 10, 0, tzinfo=SEOUL)
    return {
        "reference": "CB-TESTPLAN",
        "slot_start": start,
        "slot_duration_minutes": 60,
        "visits": [{"number": 1, "slot_id": "0" * 24, "start": start, "duration_minutes": 60, "status": "BOOKED"}],
        "package": package,
        "package_texts": texts,
        "patient": patient(homeTimeZone=home),
        "follow_up_plan": follow_up,
    }


# -- calling the gateway ------------------------------------------------------------------------------

AGENCY_KEY, OTHER_AGENCY_KEY = "cbk_test_agency_seoul_trips", "cbk_test_agency_busan"
ORACLE_KEY, ASAN_KEY, PLATFORM_KEY = "cbk_test_oracle_admin", "cbk_test_asan_admin", "cbk_test_platform"
TEST_KEYS = [  # (name, role, clinic, agency, key): the API keys every test gateway holds
    ("agency", "AGENCY", None, "seoul-trips", AGENCY_KEY),
    ("other agency", "AGENCY", None, "busan-travel", OTHER_AGENCY_KEY),
    ("oracle", "CLINIC_ADMIN", "oracle-skin-clinic", None, ORACLE_KEY),
    ("asan", "CLINIC_ADMIN", "asan-medical-center", None, ASAN_KEY),
    ("platform", "PLATFORM_ADMIN", None, None, PLATFORM_KEY),
]


def gql(client, query: str, variables: dict | None = None, key: str | None = None, headers: dict | None = None):
    """A GraphQL request through a gateway test client, with an API key when given."""
    sent = dict(headers or {})
    if key:
        sent["Authorization"] = f"Bearer {key}"
    return client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=sent)


def bearer_headers(
    role: str,
    *,
    clinic: str | None = None,
    agency: str | None = None,
    secret: str | None = None,
    ttl: int = 60,
    now: float | None = None,
) -> dict:
    """``Authorization`` headers with a service token (what the gateway sends a service) for a principal."""
    principal = Principal(role=role, subject=f"test-{role.lower()}", clinic=clinic, agency=agency)
    token = mint(principal, secret or Settings(service="x").token_secret, ttl, now=now)
    return {"Authorization": f"Bearer {token}"}


# -- days and times in Seoul ---------------------------------------------------------------------------


def seoul_day(days: int) -> str:
    """The Seoul date ``days`` from today, as the services read a ``from``/``to`` day."""
    return (seoul_today() + timedelta(days=days)).isoformat()


def seoul(day: datetime | str, at: str = "10:00") -> datetime:
    """``at`` o'clock in Seoul on a day (an ISO date, or the Seoul day of a moment)."""
    base = date.fromisoformat(day[:10]) if isinstance(day, str) else seoul_date(day)
    return datetime.combine(base, time.fromisoformat(at), SEOUL)


def next_clock_change_at_home(zone: ZoneInfo, not_before: date) -> date:
    """The first Seoul day from ``not_before`` on whose 10:00 ``zone`` keeps another offset than on
    the day before's: New York's spring forward or fall back, whichever comes first."""

    def offset(day: date) -> timedelta | None:
        return seoul(day.isoformat()).astimezone(zone).utcoffset()

    day = not_before
    while offset(day) == offset(day - timedelta(days=1)):
        day += timedelta(days=1)
    return day


def in_days(days: int, at: str = "10:00") -> datetime:
    """``at`` o'clock in Seoul, ``days`` Seoul days from today."""
    return datetime.combine(seoul_today() + timedelta(days=days), time.fromisoformat(at), SEOUL)


def within_notice(hours: int = 2) -> datetime:
    """A moment in the future but inside the minimum notice (24 hours), on the minute, whatever the
    time of day the tests run at."""
    return (seoul_now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


# -- seed data and new data -------------------------------------------------------------------------

ORACLE = "oracle-skin-clinic"
AGENCY = "seoul-trips"


def seed_package(key: str) -> str:
    """The id of a seed package (``seed/packages/packages.json``) by its key."""
    return str(seed_id(key))


ICEPICK = seed_package("oracle-icepick-tca-co2")  # 3 visits, 28 days apart; blocks recent isotretinoin
SEED_ORACLE_PACKAGE = ICEPICK

PACKAGE_BODY = {  # a new package as the packages service takes it
    "clinic": "oracle-skin-clinic",
    "title": {"en": "Boxcar scars: TCA CROSS and microneedling", "ko": "박스카 흉터 패키지"},
    "scarTypes": ["BOXCAR"],
    "items": [{"procedure": "TCA_CROSS", "sessions": 2}, {"procedure": "MICRONEEDLING", "sessions": 3}],
    "sessionIntervalDays": 21,
    "includes": ["CONSULTATION", "CALMING_MASK"],
    "priceKrw": 1_950_000,
    "interpreterOptions": [
        {"language": "en", "included": True},
        {"language": "ja", "included": False, "pricePerSessionKrw": 55_000},
    ],
    "followUpPlans": [{"code": "VIDEO_2", "kind": "REMOTE_VIDEO", "count": 2, "priceKrw": 70_000}],
    "cancellationPolicy": {
        "tiers": [
            {"daysBefore": 21, "refundPercent": 100},
            {"daysBefore": 7, "refundPercent": 40},
            {"daysBefore": 0, "refundPercent": 0},
        ]
    },
    "minimumStayDays": 4,
    "screening": {"blocking": ["RECENT_ISOTRETINOIN"]},
}

PACKAGE_INPUT = {  # a new package as createPackage takes it
    "clinic": "oracle-skin-clinic",
    "title": {"en": "Boxcar express: TCA CROSS x2", "ko": "박스카 익스프레스"},
    "scarTypes": ["BOXCAR"],
    "items": [{"procedure": "TCA_CROSS", "sessions": 2}],
    "sessionIntervalDays": 4,
    "includes": ["CONSULTATION"],
    "priceKrw": 800_000,
    "interpreterOptions": [{"language": "en", "included": True}],
    "followUpPlans": [{"code": "CHAT_2", "kind": "MESSAGING", "count": 2, "priceKrw": 0}],
    "cancellationPolicy": {"tiers": [{"daysBefore": 7, "refundPercent": 100}, {"daysBefore": 0, "refundPercent": 0}]},
    "minimumStayDays": 6,
}


# -- what a service stored ------------------------------------------------------------------------


def stored_packages(app) -> tuple[list, list]:
    """Every package and version as stored, to prove a refused request wrote nothing."""
    with app.app_context():
        return (
            list(Package._get_collection().find({}).sort("_id", 1)),
            list(PackageVersion._get_collection().find({}, {"_id": 0}).sort([("package_id", 1), ("version", 1)])),
        )


def stored_clinics(app) -> list[dict]:
    """Every clinic as stored, to prove a refused request wrote nothing."""
    return list(Clinic._get_collection().find({}, {"_id": 0}).sort("slug", 1))


def seat_count(app, slot_id: str) -> int:
    with app.app_context():
        return Slot.objects.get(id=slot_id).booked


def seats_are_owned(app, quotes: list[dict] | None = None) -> None:
    """The seat ledger's books balance (``python -m services.bookings check``; of the locked quotes, only
    ``quotes``, as the packages service answers them: other tests' bookings lock quotes too): every seat
    taken is named by exactly one claim and every claim's seats are taken, every booking's visits not
    cancelled have their claimed seats, and no booking holds a partial series."""
    with app.app_context():
        problems = checker.broken(utcnow(), sweep_seconds=60, quotes=quotes or [])
        bookings = list(Booking._get_collection().find({}, {"reference": 1, "visits": 1, "package": 1}))
    assert problems == [], problems
    for booking in bookings:
        assert len(booking["visits"]) == booking["package"]["schedule"]["visits"], booking["reference"]


def booking_count(app) -> int:
    with app.app_context():
        return Booking.objects.count()


def book_through(
    gateway, document: str, quote_id: str, slot_id: str, patient_answers: dict | None = None, key: str = AGENCY_KEY
) -> dict:
    """``createBooking`` of a quote into a slot through a gateway test client, with a fresh
    idempotency key; the payload as ``document`` selects it."""
    body = {
        "quoteId": quote_id,
        "slotId": slot_id,
        "patient": patient_answers or PATIENT,
        "idempotencyKey": uuid.uuid4().hex,
    }
    return gql(gateway, document, {"input": body}, key=key).json["data"]["createBooking"]


EVERY_DAY = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]


def open_slot_through(
    gateway,
    days: int,
    at: str,
    capacity: int = 1,
    clinic: str = ORACLE,
    key: str = ORACLE_KEY,
    later: tuple[int, ...] = (30, 65),
) -> str:
    """A new slot of ``clinic`` (for any of its packages) ``days`` from today at ``at``, Seoul time,
    opened through a gateway test client by the clinic's admin; its id. Slots for the later visits
    are opened too (``later`` days after it, 20 seats each: visits 2 and 3 of the ice-pick package,
    inside its 28-42-day window), so a booking given only this slot finds every visit."""
    day = seoul_day(days)
    rule = {"clinic": clinic, "from": day, "to": day, "weekdays": EVERY_DAY, "times": [at], "capacity": capacity}
    opened = gql(gateway, OPEN_SLOTS, {"input": rule}, key=key).json["data"]["openSlots"]["slots"][0]["id"]
    open_later_through(gateway, days, at, later, clinic, key)
    return opened


OPEN_SLOTS = "mutation O($input: OpenSlotsInput!) { openSlots(input: $input) { slots { id } } }"

WINDOW = "query W($id: ID!) { package(id: $id) { visitWindow { minDays } schedule { visits } } }"


def open_series_through(gateway, package_id: str, days: int, at: str, capacity: int = 1) -> str:
    """A new first-visit slot ``days`` from today at ``at`` (Seoul), and a slot for each later visit
    of the package at the earliest day of its window, opened through the gateway by Oracle's admin
    (a booking given only the first slot then finds every visit, whatever other tests booked); the
    first slot's id."""
    package = gql(gateway, WINDOW, {"id": package_id}).json["data"]["package"]
    gap, visits = package["visitWindow"]["minDays"], package["schedule"]["visits"]
    later = tuple(gap * number for number in range(1, visits))
    return open_slot_through(gateway, days, at, capacity=capacity, later=later)


def open_later_through(
    gateway, days: int, at: str, later: tuple[int, ...] = (30, 65), clinic: str = ORACLE, key: str = ORACLE_KEY
) -> None:
    """Slots of 20 seats ``later`` days after a first visit's day, at its time (any that exist stay)."""
    for offset in later:
        day = seoul_day(days + offset)
        rule = {"clinic": clinic, "from": day, "to": day, "weekdays": EVERY_DAY, "times": [at], "capacity": 20}
        assert "errors" not in gql(gateway, OPEN_SLOTS, {"input": rule}, key=key).json


# -- series of visits (the ice-pick package: three visits, 28 to 42 days apart) -----------------------


def series(open_slot, first_day: int, gaps=(30, 35), capacity=(3, 3, 3)) -> list[dict]:
    """Slots for the three visits of the ice-pick package (28 to 42 days apart)."""
    days = [first_day, first_day + gaps[0], first_day + gaps[0] + gaps[1]]
    return [open_slot(in_days(day, "10:00"), capacity=seats) for day, seats in zip(days, capacity, strict=True)]


def body_for(quote: dict, slots: list[dict], patient: dict | None = None) -> dict:
    return {
        "quoteId": quote["id"],
        "slotId": slots[0]["id"],
        "laterSlotIds": [s["id"] for s in slots[1:]],
        "patient": patient or PATIENT,
    }


def post(client, agency, body: dict, key: str | None = None):
    return client.post("/bookings", json=body, headers={**agency, "Idempotency-Key": key or uuid.uuid4().hex})


# -- crashes and the sweeper ---------------------------------------------------------------------------

HOLD_SECONDS = 1  # how long the crash tests' bookings processes hold a seat before the sweeper may take it back


def sweep(env: dict) -> dict:
    """The sweeper command, once, as it runs beside the services (`python -m services.bookings sweep`)."""
    done = subprocess.run(
        [sys.executable, "-m", "services.bookings", "sweep"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def book_on(base: str, headers: dict, body: dict, key: str) -> requests.Response:
    return requests.post(f"{base}/bookings", json=body, headers={**headers, "Idempotency-Key": key}, timeout=30)


def lease_lapses(bookings, key: str) -> None:
    """What 30 seconds would do: the dead request's claim on the key becomes free to take over."""
    with bookings.app_context():
        IdempotencyKey.objects(id=f"{AGENCY}:{key}").update_one(set__lease_until=utcnow() - timedelta(seconds=1))


def sweep_registrations(env: dict) -> dict:
    """Tell the registrations about to expire, once (`python -m services.bookings expiring`)."""
    done = subprocess.run(
        [sys.executable, "-m", "services.bookings", "expiring"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
