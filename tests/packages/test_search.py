"""Package search: filters, sorts, paging and batch lookup (answered by the read model of published packages)."""

from __future__ import annotations

import pytest

from services.packages import seed
from tests.support import ORACLE


def ids(client, query: str) -> list[str]:
    answer = client.get(f"/packages?limit=100&{query}")
    assert answer.status_code == 200, answer.json
    return [p["id"] for p in answer.json["items"]]


def key(name: str) -> str:
    return str(seed.seed_id(name))


def test_filters_by_clinic_scar_type_and_procedure(client):
    assert set(ids(client, f"clinic={ORACLE}")) == {key("oracle-icepick-tca-co2"), key("oracle-rf-prp")}
    assert set(ids(client, "clinic=asan-medical-center,id-dermatology&scarType=ROLLING")) == {
        key("asan-subcision-filler"),
        key("id-rolling-subcision-filler"),
    }
    assert set(ids(client, "procedure=SUBCISION,HA_FILLER")) == {
        key("asan-subcision-filler"),
        key("id-rolling-subcision-filler"),
    }
    assert ids(client, "scarType=HYPERTROPHIC") == [key("snuh-hypertrophic-steroid")]


def test_price_range_in_another_currency_is_converted_at_the_current_rate(client):
    # 1 USD = 1,390 KRW in the seed: 1,000-2,000 USD is 1,390,000-2,780,000 KRW.
    in_usd = client.get("/packages?minPrice=1000&maxPrice=2000&currency=USD&limit=100").json["items"]
    assert {p["priceKrw"] for p in in_usd} == {1_500_000, 1_800_000, 2_400_000, 2_600_000}
    in_krw = client.get("/packages?minPrice=1390000&maxPrice=2780000&limit=100").json["items"]
    assert [p["id"] for p in in_krw] == [p["id"] for p in in_usd]


def test_filters_by_sessions_downtime_interpreter_and_follow_up(client):
    few_sessions = client.get("/packages?maxSessions=2&limit=100").json["items"]
    assert few_sessions and all(p["schedule"]["visits"] <= 2 for p in few_sessions)
    gentle = client.get("/packages?maxDowntimeDays=3&limit=100").json["items"]
    assert gentle and all(p["downtimeDays"] <= 3 for p in gentle)
    assert set(ids(client, "interpreterLanguage=ru")) == {key("asan-subcision-filler")}
    in_person = client.get("/packages?followUpKind=IN_PERSON&limit=100").json["items"]
    assert {p["id"] for p in in_person} == {key("asan-subcision-filler"), key("id-rolling-subcision-filler")}


@pytest.mark.parametrize(
    "sort,field",
    [
        ("price", "priceKrw"),
        ("-price", "priceKrw"),
        ("pricePerSession", "pricePerSessionKrw"),
        ("downtime", "downtimeDays"),
    ],
)
def test_sorts_page_through_every_package_once(packages, client, sort, field):
    with packages.app_context():
        seed.load_synthetic(60, clinics=20)
    seen, cursor = [], None
    while True:
        page = client.get(f"/packages?sort={sort}&limit=7" + (f"&cursor={cursor}" if cursor else "")).json
        seen += page["items"]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert len(seen) == len({p["id"] for p in seen}) == 68
    values = [p[field] for p in seen]
    assert values == sorted(values, reverse=sort.startswith("-"))


def test_search_by_body_for_long_clinic_lists_matches_the_query_string(client):
    clinics = [f"synthetic-clinic-{i:05d}" for i in range(1, 400)] + [ORACLE, "asan-medical-center"]
    by_body = client.post("/packages/search", json={"clinic": clinics, "sort": "-price", "limit": 100})
    assert by_body.status_code == 200
    by_query = client.get(f"/packages?clinic={ORACLE},asan-medical-center&sort=-price&limit=100")
    assert [p["id"] for p in by_body.json["items"]] == [p["id"] for p in by_query.json["items"]]


def test_batch_lookup_keeps_order_and_gives_null_for_unknown_ids(client):
    wanted = [key("snuh-co2-revision"), "0" * 24, key("oracle-rf-prp")]
    items = client.get("/packages?ids=" + ",".join(wanted)).json["items"]
    assert [p and p["id"] for p in items] == [wanted[0], None, wanted[2]]
    assert client.get("/packages?ids=not-an-id").status_code == 400


def test_filter_values_never_become_operators(client):
    for query in ("clinic[$ne]=x", "scarType=%7B%22%24ne%22%3A1%7D", "minPrice=-1", "sort=%24natural", "status=%24in"):
        assert client.get(f"/packages?{query}").status_code == 400, query


def test_json_numbers_are_read_as_json_means_them(client):
    # Found by the generated tests: 5.0 is the integer 5; out-of-range and non-finite numbers are refused, never a 500.
    assert len(client.post("/packages/search", json={"limit": 5.0}).json["items"]) == 5
    assert client.post("/packages/search", json={"limit": 5.5}).status_code == 400
    assert client.post("/packages/search", json={"minPrice": 73047214919032340480}).status_code == 400
    for raw in ('{"limit": NaN}', '{"limit": Infinity}', '{"minPrice": 1e400}'):
        answer = client.post("/packages/search", data=raw, content_type="application/json")
        assert (answer.status_code, answer.json["code"]) == (400, "MALFORMED_JSON"), raw
