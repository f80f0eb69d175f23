"""Abusive queries are refused; production hides the schema and every internal detail."""

from __future__ import annotations

import time

from tests.support import AGENCY_KEY, gql


def codes(answer) -> set[str]:
    return {e["extensions"]["code"] for e in answer.json["errors"]}


def test_ordinary_nesting_stays_within_the_depth_limit(gateway):
    nested = (
        "{ packages(first: 1) { edges { node { clinic { procedures { procedure { downtimeDays { max } } } } } } } }"
    )
    answer = gql(gateway, nested)
    assert "errors" not in answer.json, answer.json


def test_depth_limit(make_gateway):
    gateway = make_gateway(max_depth=4).test_client()
    answer = gql(gateway, "{ packages(first: 1) { edges { node { clinic { procedures { code } } } } } }")
    assert "data" not in answer.json and codes(answer) == {"QUERY_TOO_COMPLEX"}
    assert answer.json["errors"][0]["message"] == "The query nests 6 fields deep; at most 4."


def test_alias_amplification_is_refused(gateway):
    many = "{ " + " ".join(f"a{i}: scarTypes {{ code }}" for i in range(31)) + " }"
    answer = gql(gateway, many)
    assert "data" not in answer.json and codes(answer) == {"QUERY_TOO_COMPLEX"}
    assert "errors" not in gql(gateway, "{ " + " ".join(f"a{i}: scarTypes {{ code }}" for i in range(30)) + " }").json


def test_page_sizes_are_capped(gateway):
    for first in (0, 101, 10_000):
        answer = gql(gateway, "query($n: Int!) { clinics(first: $n) { totalCount } }", {"n": first})
        assert codes(answer) == {"BAD_USER_INPUT"}
    missing = gql(gateway, "{ clinics { totalCount } }")
    assert codes(missing) == {"GRAPHQL_VALIDATION_FAILED"}


def test_an_oversized_request_is_413(gateway):
    answer = gateway.post("/graphql", json={"query": "{ scarTypes { code } }", "variables": {"x": "y" * 70_000}})
    assert answer.status_code == 413 and answer.json["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


def test_malformed_requests_get_json_errors(gateway):
    answer = gateway.post("/graphql", data="{not json", content_type="application/json")
    assert answer.status_code == 400 and answer.json["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    syntax = gql(gateway, "{ scarTypes { code }")
    assert codes(syntax) == {"GRAPHQL_PARSE_FAILED"}
    mutation_by_get = gateway.get(
        "/graphql", query_string={"query": 'mutation { cancelBooking(reference: "CB-AAAAAAAA") { errors { code } } }'}
    )
    assert mutation_by_get.status_code == 405 and codes(mutation_by_get) == {"METHOD_NOT_ALLOWED"}


def test_production_hides_introspection_suggestions_and_graphiql(make_gateway):
    gateway = make_gateway(introspection=False).test_client()
    introspect = gql(gateway, "{ __schema { types { name } } }")
    assert "data" not in introspect.json and "introspection" in introspect.json["errors"][0]["message"].lower()
    typo = gql(gateway, "{ scarType { code } }").json["errors"][0]["message"]
    assert "Did you mean" not in typo and "scarTypes" not in typo
    page = gateway.get("/graphql", headers={"Accept": "text/html"})
    assert b"graphiql" not in page.data.lower()
    development = make_gateway(introspection=True).test_client()
    assert "errors" not in gql(development, "{ __schema { queryType { name } } }").json


def test_unexpected_errors_are_masked(gateway, monkeypatch):
    from gateway.upstream import Upstream

    async def explode(self, *args, **kwargs):
        raise RuntimeError("could not reach mongodb://10.1.2.3:27017 from /srv/gateway/schema/clinics.py")

    monkeypatch.setattr(Upstream, "call", explode)
    answer = gql(gateway, "{ scarTypes { code } }")
    text = answer.get_data(as_text=True)
    assert answer.json["errors"][0] == {
        "message": "Internal error.",
        "locations": [{"line": 1, "column": 3}],
        "path": ["scarTypes"],
        "extensions": {"code": "INTERNAL_ERROR"},
    }
    assert "10.1.2.3" not in text and "mongodb" not in text and "Traceback" not in text


def test_the_rate_limit_is_shared_by_every_worker(make_gateway):
    # Two apps on the same counters stand for two gunicorn workers.
    first = make_gateway(rate_limit="3/minute")
    from gateway.app import create_app

    second = create_app(first.config["GATEWAY_SETTINGS"]).test_client()
    first = first.test_client()
    query = "{ scarTypes { code } }"
    answers = [
        gql(first, query, key=AGENCY_KEY),
        gql(second, query, key=AGENCY_KEY),
        gql(first, query, key=AGENCY_KEY),
        gql(second, query, key=AGENCY_KEY),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["X-RateLimit-Limit"] for a in answers} == {"3"}
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    assert int(answers[-1].headers["X-RateLimit-Reset"]) - time.time() <= 61
    assert gql(first, query).status_code == 200  # anonymous callers are counted apart


def test_a_query_is_parsed_and_validated_once(gateway, monkeypatch):
    from gateway import view

    checked = []
    original = view.GatewayView._check
    monkeypatch.setattr(view.GatewayView, "_check", lambda self, query: checked.append(query) or original(self, query))
    for _ in range(3):
        assert "errors" not in gql(gateway, "{ scarTypes { code } }").json
    assert len(checked) == 1


def test_workers_lease_from_one_budget_and_never_admit_past_it(make_gateway, mongo_client, monkeypatch):
    from gateway.ratelimit import Rate, RateLimiter

    app = make_gateway()
    reservations = []
    original = RateLimiter._reserve
    monkeypatch.setattr(
        RateLimiter, "_reserve", lambda self, key, now: reservations.append(key) or original(self, key, now)
    )
    first, second = (RateLimiter("gateway", Rate(10, 60), lease=4) for _ in range(2))
    key = f"key:lease-{time.time_ns()}"
    verdicts = [(first if i % 2 == 0 else second).hit(key) for i in range(16)]
    assert sum(v.allowed for v in verdicts) == 10
    assert [v.allowed for v in verdicts[-4:]] == [False] * 4
    counter = mongo_client[app.config["SETTINGS"].database]["rate_counters"].find_one({"_id": key})
    assert counter["count"] == 10
    # Two leases of 4, one of the last 2, one refusal: then both answer locally until the window ends.
    assert len(reservations) == 4
    assert verdicts[-1].remaining == 0 and "Retry-After" in verdicts[-1].headers()


def test_a_revoked_key_is_refused_once_the_key_cache_lapses(make_gateway, monkeypatch):
    from gateway import keys

    cached = make_gateway(key_cache_seconds=60).test_client()
    uncached = make_gateway(key_cache_seconds=0).test_client()
    record, key = keys.create("short-lived", "AGENCY", agency="short-lived-travel")
    lookups = []
    original = keys.principal_for
    monkeypatch.setattr(keys, "principal_for", lambda k: lookups.append(k) or original(k))
    query = "{ scarTypes { code } }"
    assert gql(cached, query, key=key).status_code == 200 and gql(cached, query, key=key).status_code == 200
    assert len(lookups) == 1  # the second request was answered from the worker's cache
    assert gql(uncached, query, key=key).status_code == 200
    assert keys.revoke(str(record.pk))
    refused = gql(uncached, query, key=key)
    assert refused.status_code == 401 and refused.json["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_key_gets_its_budget_back_when_its_window_ends(make_gateway):
    from gateway.ratelimit import Rate, RateLimiter

    make_gateway()
    limiter = RateLimiter("gateway", Rate(2, 1))
    key = f"key:window-{time.time_ns()}"
    assert [limiter.hit(key).allowed for _ in range(3)] == [True, True, False]
    time.sleep(1.1)
    assert [limiter.hit(key).allowed for _ in range(3)] == [True, True, False]


def test_first_requests_racing_on_a_new_key_are_all_counted(make_gateway, mongo_client):
    from concurrent.futures import ThreadPoolExecutor

    from gateway.ratelimit import Rate, RateLimiter

    app = make_gateway()
    limiters = [RateLimiter("gateway", Rate(1000, 60), lease=1) for _ in range(4)]
    for attempt in range(5):
        key = f"key:race-{attempt}-{time.time_ns()}"
        with ThreadPoolExecutor(16) as pool:
            verdicts = list(pool.map(lambda i, key=key: limiters[i % 4].hit(key), range(16)))
        assert all(v is not None and v.allowed for v in verdicts)
        assert mongo_client[app.config["SETTINGS"].database]["rate_counters"].find_one({"_id": key})["count"] == 16


def test_eight_threads_on_one_key_get_the_whole_budget(make_gateway):
    """A worker's threads share its leases: slices reserved at the same moment are all served,
    so a key gets its whole budget at any concurrency, and is refused only when it is spent."""
    import threading

    from gateway.ratelimit import Rate, RateLimiter

    make_gateway()
    limiter = RateLimiter("gateway", Rate(1200, 60))
    key = f"key:threads-{time.time_ns()}"
    allowed, first_refusals = [], []
    lock = threading.Lock()

    def client():
        while True:
            verdict = limiter.hit(key)
            with lock:
                if not verdict.allowed:
                    first_refusals.append(verdict)
                    return
                allowed.append(verdict)
            time.sleep(0.002)  # a request's own work: slices reserved at once are then still unspent

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 1200
    assert all(verdict.remaining == 0 for verdict in first_refusals)
    assert min(verdict.remaining for verdict in allowed) == 0


def test_the_depth_limit_counts_introspection_and_fits_the_schema(make_gateway):
    from gateway.cost import deepest_path
    from gateway.schema import schema

    gateway = make_gateway(max_depth=None).test_client()  # the default, from the schema
    deep = "{ __schema { types { fields { type " + "{ ofType " * 20 + "{ name }" + " }" * 20 + " } } } }"
    assert codes(gql(gateway, deep)) == {"QUERY_TOO_COMPLEX"}
    # GraphiQL's own introspection query still fits in development, and so does the schema's deepest real path.
    from graphql import get_introspection_query

    assert "errors" not in gql(gateway, get_introspection_query()).json
    depth = deepest_path(schema.graphql_schema)
    assert 6 <= depth <= 15
    nested = (
        "{ packages(first: 1) { edges { node { clinic { procedures { procedure { downtimeDays { max } } } } } } } }"
    )
    assert "errors" not in gql(gateway, nested).json


def test_a_query_costs_what_its_lists_multiply_to(make_gateway):
    gateway = make_gateway(max_cost=500).test_client()
    page = "query P($n: Int!) { packages(first: $n) { edges { node { id clinic { name procedures { code } } } } } }"
    assert "errors" not in gql(gateway, page, {"n": 20}).json
    refused = gql(gateway, page, {"n": 100})
    assert codes(refused) == {"QUERY_TOO_COMPLEX"} and "cost" in refused.json["errors"][0]["message"]
    aliased = "{ " + " ".join(f"a{i}: packages(first: 50) {{ edges {{ node {{ id }} }} }}" for i in range(20)) + " }"
    assert codes(gql(gateway, aliased)) == {"QUERY_TOO_COMPLEX"}
    ids = ",".join(f'"{i:024x}"' for i in range(600))
    assert codes(gql(gateway, "{ comparePackages(ids: [%s]) { columns { id } } }" % ids)) == {"QUERY_TOO_COMPLEX"}


def test_a_burst_of_bad_keys_is_throttled_per_address_and_looks_up_no_key_past_the_limit(make_gateway):
    from tests.support import RECORDER

    gateway = make_gateway().test_client()  # GATEWAY_BAD_KEY_LIMIT: 20 a minute per address by default
    query = {"query": "{ scarTypes { code } }"}

    def ask(key: str, address: str):
        headers = {"Authorization": f"Bearer {key}"}
        return gateway.post("/graphql", json=query, headers=headers, environ_base={"REMOTE_ADDR": address})

    with RECORDER.recording() as commands:
        answers = [ask(f"cbk_guess_{n:04d}", "203.0.113.7") for n in range(200)]
    lookups = [c for name, _db, c in commands if name == "find" and c.get("find") == "api_keys"]
    assert [a.status_code for a in answers[:20]] == [401] * 20
    assert {a.status_code for a in answers[20:]} == {429}
    assert len(lookups) == 20  # past the limit, a guess costs the database nothing
    refused = answers[-1]
    assert refused.json["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # Callers elsewhere are not held back, and a key this worker knows is still served from there.
    assert ask(AGENCY_KEY, "198.51.100.4").status_code == 200
    assert ask("cbk_guess_other", "198.51.100.4").status_code == 401
    assert ask(AGENCY_KEY, "203.0.113.7").status_code == 200
