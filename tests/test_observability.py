"""Metrics and traces across every hop, read as a platform team reads them: Prometheus scrapes of every
service (under gunicorn, several workers) and of the gateway's metrics address, and OpenTelemetry spans
exported by OTLP from every process to a collector endpoint the test runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from tests.support import (
    EVERY_DAY,
    ICEPICK,
    OPEN_SLOTS,
    ORACLE,
    PATIENT,
    ROOT,
    Receiver,
    SpanReceiver,
    dispatchers,
    drop_databases,
    eventually,
    free_port,
    sample,
    scrape,
    seed,
    seoul_day,
    stack,
    stack_env,
)

AGENCY, CLINIC = "cbk_demo_agency_seoul_trips", "cbk_demo_oracle_clinic_admin"  # `python -m gateway keys demo`
QUOTE = "mutation Quote($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id } errors { code } } }"
HOLD = """mutation Hold($input: HoldVisitsInput!) { holdVisits(input: $input) { hold { id } errors { field code } } }"""
BOOK = """mutation Book($input: CreateBookingInput!) {
  createBooking(input: $input) { booking { reference } errors { field code } } }"""
WEBHOOK = """mutation Hook($input: CreateWebhookInput!) {
  createWebhook(input: $input) { created { webhook { id } } errors { code } } }"""


def call(gateway: str, document: str, variables: dict, key: str, headers: dict | None = None) -> dict:
    answer = requests.post(
        f"{gateway}/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {key}", **(headers or {})},
        timeout=30,
    )
    assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
    return answer.json()["data"]


def series(gateway: str, first_day: int, at: str) -> list[str]:
    """Three fresh one-seat slots of Oracle, 30 days apart (the ice-pick package's visits), opened by its admin."""
    slots = []
    for day in (first_day, first_day + 30, first_day + 60):
        rule = {"clinic": ORACLE, "from": seoul_day(day), "to": seoul_day(day), "weekdays": EVERY_DAY, "times": [at]}
        opened = call(gateway, OPEN_SLOTS, {"input": {**rule, "capacity": 1}}, CLINIC)
        slots.append(opened["openSlots"]["slots"][0]["id"])
    return slots


def quote(gateway: str, headers: dict | None = None) -> str:
    return call(gateway, QUOTE, {"input": {"packageId": ICEPICK}}, AGENCY, headers)["createQuote"]["quote"]["id"]


@pytest.fixture(scope="module")
def demo_stack(mongo_uri, mongo_client, tmp_path_factory):
    """Every service and the gateway under gunicorn, two workers each for the catalogue, bookings and the
    gateway, on seeded databases of their own with the demo API keys; logs kept. With ``traces``, every
    process exports its spans to a SpanReceiver."""
    started = []

    def start(traces: bool):
        receiver = SpanReceiver() if traces else None
        extra = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"} if receiver else {}
        env = stack_env(mongo_uri, f"test_observed_{uuid.uuid4().hex[:8]}", LOG_LEVEL="INFO", **extra)
        seed(env)
        for command in (["init"], ["keys", "demo"]):
            subprocess.run(
                [sys.executable, "-m", "gateway", *command],
                cwd=ROOT,
                env={**os.environ, **env},
                check=True,
                stdout=subprocess.DEVNULL,
            )
        logs = tmp_path_factory.mktemp("logs")
        metrics = free_port()
        running = stack(
            env,
            gateway={"METRICS_PORT": str(metrics)},
            workers={"catalogue": 2, "bookings": 2, "gateway": 2},
            log_dir=str(logs),
        )
        urls = running.__enter__()
        started.append((running, receiver, env))
        return {**urls, "metrics": f"http://127.0.0.1:{metrics}", "env": env, "logs": logs, "spans": receiver}

    yield start
    for running, receiver, env in started:
        running.__exit__(None, None, None)
        if receiver:
            receiver.close()
        drop_databases(mongo_client, env)


@pytest.fixture(scope="module")
def observed(demo_stack):
    return demo_stack(traces=False)


@pytest.fixture(scope="module")
def traced(demo_stack):
    return demo_stack(traces=True)


def test_every_service_and_the_gateways_metrics_address_answer_prometheus_text_and_its_public_port_does_not(
    observed,
):
    for name in ("catalogue", "packages", "bookings", "webhooks"):
        samples = scrape(f"{observed[name]}/metrics")
        assert any(s.name == "clinicbridge_http_requests_total" for s in samples), name
    requests.post(f"{observed['gateway']}/graphql", json={"query": "{ scarTypes { code } }"}, timeout=10)
    at_gateway = scrape(f"{observed['metrics']}/metrics")
    assert sample(at_gateway, "clinicbridge_http_requests_total", service="gateway", route="/graphql") >= 1
    public = requests.get(f"{observed['gateway']}/metrics", timeout=10)
    assert public.status_code == 404 and "clinicbridge_" not in public.text
    for url in (f"{observed['metrics']}/metrics", *(f"{observed[n]}/metrics" for n in ("bookings", "webhooks"))):
        text = requests.get(url, timeout=10).text
        assert "127.0.0.1" not in text and "http://" not in text and "Traceback" not in text, url


def test_every_worker_is_counted(observed):
    before = scrape(f"{observed['catalogue']}/metrics")
    for _ in range(20):
        assert requests.get(f"{observed['catalogue']}/clinics/{ORACLE}", timeout=10).status_code == 200
    after = scrape(f"{observed['catalogue']}/metrics")
    route = {"service": "catalogue", "method": "GET", "route": "/clinics/<slug>", "status": "200"}
    assert (
        sample(after, "clinicbridge_http_requests_total", **route)
        - sample(before, "clinicbridge_http_requests_total", **route)
        == 20
    )


def test_a_booking_flow_moves_the_right_counters(observed):
    gateway, bookings = observed["gateway"], f"{observed['bookings']}/metrics"
    metrics = f"{observed['metrics']}/metrics"
    slots = series(gateway, 140, "07:35")
    quoted = quote(gateway)
    before, gateway_before = scrape(bookings), scrape(metrics)

    held = call(
        gateway, HOLD, {"input": {"quoteId": quoted, "slotIds": slots, "idempotencyKey": uuid.uuid4().hex}}, AGENCY
    )
    assert held["holdVisits"]["errors"] == []
    holding = scrape(bookings)
    assert sample(holding, "clinicbridge_bookings_live_holds") == sample(before, "clinicbridge_bookings_live_holds") + 1
    assert sample(holding, "clinicbridge_bookings_held_seats") == sample(before, "clinicbridge_bookings_held_seats") + 3

    hold = held["holdVisits"]["hold"]["id"]
    book = {"holdId": hold, "patient": PATIENT, "idempotencyKey": uuid.uuid4().hex}
    assert call(gateway, BOOK, {"input": book}, AGENCY)["createBooking"]["errors"] == []
    after, gateway_after = scrape(bookings), scrape(metrics)

    def moved(samples_before, samples_after, name, **labels):
        return sample(samples_after, name, **labels) - sample(samples_before, name, **labels)

    # the hold became the booking: nothing is held any more
    assert sample(after, "clinicbridge_bookings_live_holds") == sample(before, "clinicbridge_bookings_live_holds")
    assert sample(after, "clinicbridge_bookings_held_seats") == sample(before, "clinicbridge_bookings_held_seats")
    # the bookings service answered the hold and the booking, and locked the quote with the packages service
    created = {"service": "bookings", "method": "POST", "status": "201"}
    assert moved(before, after, "clinicbridge_http_requests_total", route="/holds", **created) == 1
    assert moved(before, after, "clinicbridge_http_requests_total", route="/bookings", **created) == 1
    assert moved(before, after, "clinicbridge_http_request_duration_seconds_count", route="/bookings") == 1
    assert moved(before, after, "clinicbridge_upstream_requests_total", service="bookings", target="packages") >= 1
    assert moved(before, after, "clinicbridge_upstream_requests_total", outcome="unavailable") == 0
    assert moved(before, after, "clinicbridge_event_log_head", log="bookings") >= 1  # booking.created
    # what they cost the database: one claim, inserted by the hold and moved to BOOKED; the booking written once
    commands = "clinicbridge_db_commands_total"
    assert moved(before, after, commands, service="bookings", command="insert", collection="claims") == 1
    assert moved(before, after, commands, service="bookings", command="update", collection="claims") >= 1
    assert moved(before, after, commands, service="bookings", command="insert", collection="bookings") == 1
    # the gateway: each operation by name, and its calls to the bookings service
    for name in ("Hold", "Book"):
        assert (
            moved(gateway_before, gateway_after, "clinicbridge_graphql_operations_total", operation=name, outcome="ok")
            == 1
        )
    assert (
        moved(gateway_before, gateway_after, "clinicbridge_graphql_operation_duration_seconds_count", operation="Book")
        == 1
    )
    ok = {"service": "gateway", "target": "bookings", "outcome": "ok"}
    assert moved(gateway_before, gateway_after, "clinicbridge_upstream_requests_total", **ok) >= 2


def test_the_webhooks_service_reports_its_backlog_and_the_feeds_positions(observed):
    samples = scrape(f"{observed['webhooks']}/metrics")
    names = {s.name for s in samples}
    assert {
        "clinicbridge_webhooks_deliveries_pending",
        "clinicbridge_webhooks_deliveries_retrying",
        "clinicbridge_webhooks_endpoints_failing",
        "clinicbridge_webhooks_feed_position",
    } <= names
    assert {s.labels["log"] for s in samples if s.name == "clinicbridge_webhooks_feed_position"} == {
        "bookings",
        "packages",
    }


def test_the_dashboard_charts_only_what_the_stack_exports_and_prometheus_scrapes_every_process(observed):
    """The Compose profile's Grafana dashboard and Prometheus configuration (deploy/observability) against the
    metrics a stack really exports, after the booking flow above."""
    dashboard = json.loads((ROOT / "deploy" / "observability" / "partner-flow.json").read_text())
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    charted = set(re.findall(r"clinicbridge_[a-z_]+", " ".join(queries)))
    urls = [f"{observed[name]}/metrics" for name in ("catalogue", "packages", "bookings", "webhooks")]
    exported = {s.name for url in [*urls, f"{observed['metrics']}/metrics"] for s in scrape(url)}
    assert charted and charted - exported == set()
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    scraped = yaml.safe_load((ROOT / "deploy" / "observability" / "prometheus.yml").read_text())["scrape_configs"]
    ports = {job["job_name"]: job["dns_sd_configs"][0]["port"] for job in scraped if "dns_sd_configs" in job}
    for name in ("catalogue", "packages", "bookings", "webhooks"):
        assert f"0.0.0.0:{ports[name]}" in compose[name]["command"], name
    assert str(ports["gateway"]) == compose["gateway"]["environment"]["METRICS_PORT"]


def log_lines(directory: Path, name: str) -> list[dict]:
    lines = []
    for line in (directory / f"{name}.log").read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_with_traces_off_the_callers_trace_id_is_in_every_hops_log_lines(observed):
    trace = uuid.uuid4().hex
    quote(observed["gateway"], {"traceparent": f"00-{trace}-{uuid.uuid4().hex[:16]}-01"})
    for name in ("gateway", "packages"):
        eventually(
            lambda name=name: any(line.get("trace_id") == trace for line in log_lines(observed["logs"], name)),
            what=f"{name}'s log line with the trace id",
        )
    request = next(line for line in log_lines(observed["logs"], "packages") if line.get("trace_id") == trace)
    assert request["request_id"] and request["message"] == "request"


def test_one_booking_is_one_trace_across_the_gateway_the_services_the_database_and_its_webhook(traced, mongo_uri):
    gateway, spans = traced["gateway"], traced["spans"]
    slots = series(gateway, 150, "07:55")
    receiver = Receiver()
    hook = {"url": receiver.url, "events": ["BOOKING_CREATED"]}
    assert call(gateway, WEBHOOK, {"input": hook}, AGENCY)["createWebhook"]["errors"] == []
    quoted = quote(gateway)
    trace, caller = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    with dispatchers(traced["env"], traced, OTEL_EXPORTER_OTLP_ENDPOINT=spans.endpoint, OTEL_BSP_SCHEDULE_DELAY="100"):
        booking = {"quoteId": quoted, "slotId": slots[0], "laterSlotIds": slots[1:], "patient": PATIENT}
        made = call(
            gateway,
            BOOK,
            {"input": {**booking, "idempotencyKey": uuid.uuid4().hex}},
            AGENCY,
            {"traceparent": f"00-{trace}-{caller}-01"},
        )
        assert made["createBooking"]["errors"] == []
        receiver.wait_for(lambda r: any(e["type"] == "booking.created" for e in r.events()))
        services = {
            "clinicbridge-gateway",
            "clinicbridge-bookings",
            "clinicbridge-packages",
            "clinicbridge-webhooks-dispatcher",
        }
        eventually(lambda: services <= {s["service"] for s in spans.trace(trace)}, what="every process's spans")
    receiver.close()
    delivered = next(r for r in receiver.received if json.loads(r["body"])["type"] == "booking.created")
    assert delivered["headers"]["traceparent"].split("-")[1] == trace  # the partner can join the trace too

    mine = spans.trace(trace)
    ids = {span["span_id"] for span in mine}
    roots = [span for span in mine if span["parent"] not in ids]
    # one tree: a single span (the gateway's, continuing the caller's) has a parent outside the trace's spans
    assert [(root["service"], root["parent"]) for root in roots] == [("clinicbridge-gateway", caller)]
    by_service = {}
    for span in mine:
        by_service.setdefault(span["service"], []).append(span)
    assert any(s["name"].startswith("POST /bookings") for s in by_service["clinicbridge-bookings"])
    database = {s["name"].split(".")[0] for s in by_service["clinicbridge-bookings"] if s["kind"] == 3}  # CLIENT
    assert database, "the bookings service's database commands are spans of the trace"
    # every log line of the booking's request in the bookings service carries the trace id
    eventually(
        lambda: any(
            line.get("trace_id") == trace and line.get("path") == "/bookings"
            for line in log_lines(traced["logs"], "bookings")
        ),
        what="the bookings service's request line with the trace id",
    )
