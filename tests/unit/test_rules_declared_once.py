"""The lifecycle table, the error codes and the contracts agree: each is declared once and read everywhere."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from gateway.schema import schema
from services.bookings import events
from services.common import codes, lifecycle
from services.common.access import ROLES

ROOT = Path(__file__).resolve().parents[2]


def test_every_status_but_pending_is_reached_by_one_step_from_an_earlier_one():
    targets = [step.target for step in lifecycle.STEPS]
    assert len(targets) == len(set(targets))
    assert set(targets) == set(lifecycle.STATUSES) - {"PENDING"}
    reachable, frontier = {"PENDING"}, {"PENDING"}
    while frontier:
        frontier = {s.target for s in lifecycle.STEPS if set(s.sources) & frontier} - reachable
        reachable |= frontier
    assert reachable == set(lifecycle.STATUSES)
    assert lifecycle.BY_TARGET["BOOKED"].refusal("AGENCY") == (
        "An agency may not confirm a booking; the clinic's admin or a platform admin may."
    )


def test_a_confirmed_bookings_status_follows_from_its_visits():
    derived = lifecycle.booking_status
    assert derived(["FULFILLED", "ARRIVED", "BOOKED"]) == "ARRIVED"  # someone is at the clinic
    assert derived(["FULFILLED", "NOSHOW", "BOOKED"]) == "BOOKED"  # a visit is still to come
    assert derived(["NOSHOW", "FULFILLED", "NOSHOW"]) == "FULFILLED"  # done, and at least one took place
    assert derived(["NOSHOW", "NOSHOW"]) == "NOSHOW"
    step = lifecycle.BY_TARGET
    assert lifecycle.default_visit(step["ARRIVED"], ["FULFILLED", "BOOKED", "BOOKED"]) == 2
    assert lifecycle.default_visit(step["FULFILLED"], ["FULFILLED", "ARRIVED", "BOOKED"]) == 2
    assert lifecycle.default_visit(step["NOSHOW"], ["FULFILLED", "FULFILLED"]) is None
    per_visit = [s.target for s in lifecycle.STEPS if s.per_visit]
    assert per_visit == ["ARRIVED", "FULFILLED", "NOSHOW"]
    assert set(per_visit) | {"BOOKED", "CANCELLED", "CHANGE_PROPOSED"} == set(lifecycle.VISIT_STATUSES)
    assert derived(["FULFILLED", "CHANGE_PROPOSED"]) == "BOOKED"  # a visit whose change is proposed is still to come
    assert set(lifecycle.VISIT_STATUS_DESCRIPTIONS) == set(lifecycle.VISIT_STATUSES)


def test_the_contract_the_schema_and_the_table_list_the_same_statuses_and_steps():
    defs = json.loads((ROOT / "schemas/bookings/defs.json").read_text())
    assert defs["$defs"]["status"]["enum"] == list(lifecycle.STATUSES)
    assert defs["$defs"]["visitStatus"]["enum"] == list(lifecycle.VISIT_STATUSES)
    assert defs["$defs"]["eventType"]["enum"] == list(events.TYPES)
    assert {lifecycle.event_of(step) for step in lifecycle.STEPS} <= set(events.TYPES)  # every step is told
    gql = schema.graphql_schema
    assert list(gql.get_type("BookingStatus").values) == list(lifecycle.STATUSES)
    mutations = gql.mutation_type.fields
    for step in lifecycle.STEPS:
        assert step.mutation in mutations
        assert step.summary in mutations[step.mutation].description


def problem_codes(service: str) -> set[str]:
    """Every code a service's source raises a ``Problem`` with."""
    found = set()
    for path in (ROOT / "services" / service).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem" and len(node.args) >= 2:
                code = node.args[1]
                if isinstance(code, ast.Constant):
                    found.add(code.value)
    return found


def test_every_code_a_service_raises_is_in_its_list_and_typed_in_the_schema():
    assert problem_codes("common") <= set(codes.SHARED)
    for service, enum in (
        ("catalogue", "ClinicErrorCode"),
        ("packages", "PackageErrorCode"),
        ("bookings", "BookingErrorCode"),
        ("webhooks", "WebhookErrorCode"),
    ):
        declared = codes.codes_of(service)
        assert problem_codes(service) <= set(declared), service
        assert set(schema.graphql_schema.get_type(enum).values) == set(declared)


def test_each_mutation_says_who_may_call_it():
    for name, field in schema.graphql_schema.mutation_type.fields.items():
        assert "Who may: " in field.description, name
    assert ROLES["bookings.create"] == ("AGENCY",)
