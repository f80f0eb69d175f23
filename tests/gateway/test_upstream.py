"""A query costs a constant number of upstream calls; a service that is down costs only its fields."""

from __future__ import annotations

import uuid

import pytest

from tests.support import drop_databases, free_port, gql, running_service, seed, stack, stack_env

COMPARE_PAGE = """
query ComparePage($first: Int!) {
  packages(first: $first, sort: {field: PRICE}) {
    totalCount
    edges { node {
      id title price(currency: EUR) { amount }
      clinic { name district languages { inRoom } }
      items { sessions procedure { name downtimeDays { max } } }
      nextFreeSlot { start }
    } }
  }
}"""


@pytest.fixture(scope="module")
def scaled_stack(mongo_uri, mongo_client):
    """Catalogue, packages and bookings over HTTP with 60 synthetic clinics, each with a package and slots."""
    env = stack_env(mongo_uri, f"test_scale_{uuid.uuid4().hex[:8]}")
    seed(env, synthetic={"catalogue": 60, "packages": 60, "bookings": 120})
    with stack(env) as urls:
        yield urls
    drop_databases(mongo_client, env)


@pytest.mark.parametrize("first", [5, 20, 50])
def test_the_compare_page_costs_the_same_five_calls_for_any_page_size(make_gateway, scaled_stack, count_calls, first):
    gateway = make_gateway(scaled_stack).test_client()
    answer = gql(gateway, COMPARE_PAGE, {"first": first}).json
    assert "errors" not in answer, answer
    edges = answer["data"]["packages"]["edges"]
    assert len(edges) == first
    assert all(e["node"]["clinic"]["name"] for e in edges) and all(
        e["node"]["items"][0]["procedure"]["name"] for e in edges
    )
    assert sum(e["node"]["nextFreeSlot"] is not None for e in edges) > 0
    # packages: the search and the rates; catalogue: clinics and procedures, each once; bookings: next free slots once.
    assert count_calls == {"packages": 2, "catalogue": 2, "bookings": 1}


def test_a_stopped_service_leaves_the_rest_of_the_answer(make_gateway):
    gateway = make_gateway({"bookings": f"http://127.0.0.1:{free_port()}"}).test_client()
    answer = gql(gateway, COMPARE_PAGE, {"first": 3})
    assert answer.status_code == 200
    body = answer.json
    edges = body["data"]["packages"]["edges"]
    assert len(edges) == 3 and all(e["node"]["clinic"]["name"] for e in edges)
    assert all(e["node"]["nextFreeSlot"] is None for e in edges)
    errors = body["errors"]
    assert {e["extensions"]["code"] for e in errors} == {"UPSTREAM_UNAVAILABLE"}
    assert {e["extensions"]["service"] for e in errors} == {"bookings"}
    assert {tuple(e["path"][-1:]) for e in errors} == {("nextFreeSlot",)}
    text = answer.get_data(as_text=True)
    assert "127.0.0.1" not in text and "http://" not in text


def test_a_mutation_needing_a_stopped_service_fails_cleanly(make_gateway):
    gateway = make_gateway({"packages": f"http://127.0.0.1:{free_port()}"}).test_client()
    answer = gql(
        gateway,
        'mutation { createQuote(input: {packageId: "0123456789abcdef01234567"}) { quote { id } errors { code } } }',
    )
    assert answer.status_code == 200
    assert answer.json["data"]["createQuote"] is None
    assert answer.json["errors"][0]["extensions"] == {"code": "UPSTREAM_UNAVAILABLE", "service": "packages"}


def test_a_service_that_fails_is_not_reported_as_down(make_gateway, mongo_uri, packages_url):
    """A 500 is the service failing on this request (a bug), not an outage: UPSTREAM_ERROR, never UPSTREAM_UNAVAILABLE."""
    env = {
        "MONGO_URI": mongo_uri,
        "BOOKINGS_DB_NAME": f"test_failing_{uuid.uuid4().hex[:8]}",
        "PACKAGES_URL": packages_url,
        "FAILPOINTS": "bookings.next_free:raise",
    }
    with running_service("bookings", env) as failing:
        answer = gql(make_gateway({"bookings": failing}).test_client(), COMPARE_PAGE, {"first": 2})
    assert answer.status_code == 200
    edges = answer.json["data"]["packages"]["edges"]
    assert len(edges) == 2 and all(e["node"]["nextFreeSlot"] is None for e in edges)
    assert {(e["extensions"]["code"], e["extensions"]["service"]) for e in answer.json["errors"]} == {
        ("UPSTREAM_ERROR", "bookings")
    }
    assert "Failpoint" not in answer.get_data(as_text=True) and "127.0.0.1" not in answer.get_data(as_text=True)
