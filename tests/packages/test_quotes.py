"""Quotes: itemized, exact to each currency's minor unit, locked by one booking, refused once expired."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from services.packages import seed
from services.packages.models import Quote, utcnow
from tests.support import ORACLE, SEED_ORACLE_PACKAGE

RATES = {"USD": "1390.00", "JPY": "9.2000", "VND": "0.0548", "EUR": "1605.00"}


def quote(client, package=SEED_ORACLE_PACKAGE, **body):
    return client.post(f"/packages/{package}/quotes", json=body)


def expected(krw: int, currency: str) -> str:
    digits = {"USD": 2, "JPY": 0, "VND": 0, "EUR": 2, "KRW": 0}[currency]
    rate = Decimal(RATES.get(currency, "1"))
    return str((Decimal(krw) / rate).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("currency", ["USD", "JPY", "VND", "EUR", "KRW"])
def test_quote_lines_follow_the_package_prices_and_round_to_the_minor_unit(client, currency):
    answer = quote(client, interpreterLanguage="ja", followUpPlan="VIDEO_3", currency=currency)
    assert answer.status_code == 201, answer.json
    q = answer.json
    # Package: 2,400,000 base; Japanese interpreter 50,000 per visit x 3 visits; VIDEO_3 90,000.
    assert {name: line["krw"] for name, line in q["lines"].items()} == {
        "base": 2_400_000,
        "interpreter": 150_000,
        "followUp": 90_000,
    }
    assert q["total"]["krw"] == 2_640_000
    for line in q["lines"].values():
        assert line["amount"] == expected(line["krw"], currency)
    assert Decimal(q["total"]["amount"]) == sum(Decimal(line["amount"]) for line in q["lines"].values())
    if currency in ("JPY", "VND", "KRW"):
        assert "." not in q["total"]["amount"]
    else:
        assert len(q["total"]["amount"].split(".")[1]) == 2
    assert q["exchangeRate"] == {"krwPerUnit": RATES.get(currency, "1"), "asOf": "2026-11-20"}
    assert (q["packageVersion"], q["package"]["version"], q["expired"], q["lockedBy"]) == (1, 1, False, None)
    assert client.get(f"/quotes/{q['id']}").json == q


def test_an_included_interpreter_costs_nothing_and_no_options_is_the_base_price(client):
    q = quote(client, interpreterLanguage="en").json
    assert q["lines"]["interpreter"]["krw"] == 0
    plain = quote(client).json
    assert plain["total"] == {"krw": 2_400_000, "amount": "2400000"} and plain["currency"] == "KRW"


def test_options_the_package_does_not_offer_are_refused(client):
    answer = quote(client, interpreterLanguage="ru", followUpPlan="NO_SUCH_PLAN")
    assert answer.status_code == 422
    assert answer.json["code"] == "OPTION_NOT_OFFERED"
    assert {e["field"] for e in answer.json["errors"]} == {"interpreterLanguage", "followUpPlan"}


def test_unpublished_packages_cannot_be_quoted(client, bearer):
    from tests.support import PACKAGE_BODY

    draft = client.post("/packages", json=PACKAGE_BODY, headers=bearer("CLINIC_ADMIN", clinic=ORACLE)).json
    assert quote(client, package=draft["id"]).status_code == 404
    client.post(f"/packages/{SEED_ORACLE_PACKAGE}/archive", headers=bearer("CLINIC_ADMIN", clinic=ORACLE))
    archived = quote(client)
    assert archived.status_code == 409 and archived.json["code"] == "PACKAGE_NOT_PUBLISHED"


def test_a_quote_keeps_its_price_after_the_package_changes(client, bearer):
    q = quote(client, currency="USD").json
    client.patch(
        f"/packages/{SEED_ORACLE_PACKAGE}", json={"priceKrw": 9_000_000}, headers=bearer("CLINIC_ADMIN", clinic=ORACLE)
    )
    again = client.get(f"/quotes/{q['id']}").json
    assert again["total"] == q["total"] and again["package"]["priceKrw"] == 2_400_000
    assert quote(client).json["packageVersion"] == 2


def lock(client, bearer, quote_id, reference):
    return client.post(
        f"/quotes/{quote_id}/lock", json={"bookingReference": reference}, headers=bearer("AGENCY", agency="seoul-trips")
    )


def test_one_booking_locks_a_quote(client, bearer):
    q = quote(client).json
    first = lock(client, bearer, q["id"], "CB-7KQ2M9XD")
    assert first.status_code == 200 and first.json["lockedBy"] == "CB-7KQ2M9XD"
    assert lock(client, bearer, q["id"], "CB-7KQ2M9XD").status_code == 200  # the same booking again
    other = lock(client, bearer, q["id"], "CB-AAAAAAAA")
    assert other.status_code == 409 and other.json["code"] == "QUOTE_ALREADY_LOCKED"
    released = client.post(
        f"/quotes/{q['id']}/unlock",
        json={"bookingReference": "CB-7KQ2M9XD"},
        headers=bearer("AGENCY", agency="seoul-trips"),
    )
    assert released.json["lockedBy"] is None
    assert lock(client, bearer, q["id"], "CB-AAAAAAAA").status_code == 200
    assert client.post(f"/quotes/{q['id']}/lock", json={"bookingReference": "CB-AAAAAAAA"}).status_code == 401


def test_locked_quotes_are_listed_for_the_checker_and_purged_a_month_after_they_expire(packages, client, bearer):
    locked, unlocked = quote(client).json, quote(client).json
    assert lock(client, bearer, locked["id"], "CB-LOCKED22").status_code == 200
    with packages.app_context():
        stored = {q.id: q for q in Quote.objects(id__in=[locked["id"], unlocked["id"]])}
    assert stored[locked["id"]].purge_at == stored[locked["id"]].expires_at + timedelta(days=30)
    assert stored[unlocked["id"]].purge_at == stored[unlocked["id"]].expires_at + timedelta(days=7)
    listed = client.get("/quotes/locked", headers=bearer("PLATFORM_ADMIN")).json["items"]
    assert [(q["id"], q["lockedBy"]) for q in listed if q["id"] in (locked["id"], unlocked["id"])] == [
        (locked["id"], "CB-LOCKED22")
    ]
    after = client.get("/quotes/locked", query_string={"after": "CB-LOCKED22"}, headers=bearer("PLATFORM_ADMIN"))
    assert locked["id"] not in {q["id"] for q in after.json["items"]}
    assert client.get("/quotes/locked", headers=bearer("AGENCY", agency="seoul-trips")).status_code == 403
    assert client.get("/quotes/locked").status_code == 401


def test_only_the_quotes_owner_gives_it_back(client, bearer):
    q = quote(client).json
    assert lock(client, bearer, q["id"], "CB-7KQ2M9XD").status_code == 200  # now seoul-trips' quote
    other = client.post(
        f"/quotes/{q['id']}/unlock",
        json={"bookingReference": "CB-7KQ2M9XD"},
        headers=bearer("AGENCY", agency="busan-travel"),
    )
    assert other.status_code == 404 and other.json["code"] == "NOT_FOUND"  # as if there were no such quote
    kept = client.get(f"/quotes/{q['id']}", headers=bearer("AGENCY", agency="seoul-trips")).json
    assert kept["lockedBy"] == "CB-7KQ2M9XD"  # still the booking's
    assert lock(client, bearer, q["id"], "CB-AAAAAAAA").status_code == 409
    # Its owner, and a platform admin, may give it back.
    admin = client.post(
        f"/quotes/{q['id']}/unlock", json={"bookingReference": "CB-7KQ2M9XD"}, headers=bearer("PLATFORM_ADMIN")
    )
    assert admin.status_code == 200 and admin.json["lockedBy"] is None


def test_an_expired_quote_is_refused(packages, client, bearer):
    q = quote(client).json
    with packages.app_context():  # time passes
        Quote.objects(id=q["id"]).update_one(set__expires_at=utcnow() - timedelta(seconds=1))
    assert client.get(f"/quotes/{q['id']}").json["expired"] is True
    answer = lock(client, bearer, q["id"], "CB-7KQ2M9XD")
    assert answer.status_code == 409 and answer.json["code"] == "QUOTE_EXPIRED"
    assert client.get("/quotes/0123456789abcdef0123456789abcdef").status_code == 404
    assert client.get("/quotes/not-an-id").status_code == 404


def test_a_platform_admin_replaces_the_rates_for_new_quotes_only(client, bearer):
    before = quote(client, currency="USD").json
    table = {
        "asOf": "2026-11-25",
        "rates": {
            **dict.fromkeys(
                ["EUR", "JPY", "CNY", "GBP", "AUD", "CAD", "SGD", "HKD", "TWD", "THB", "VND", "RUB", "AED"], "100"
            ),
            "USD": "1500.00",
        },
    }
    assert client.put("/exchange-rates", json=table, headers=bearer("CLINIC_ADMIN", clinic=ORACLE)).status_code == 403
    replaced = client.put("/exchange-rates", json=table, headers=bearer("PLATFORM_ADMIN"))
    assert replaced.status_code == 200 and replaced.json["rates"]["USD"] == "1500.00"
    assert replaced.json["minorUnits"]["JPY"] == 0 and replaced.json["minorUnits"]["USD"] == 2
    after = quote(client, currency="USD").json
    assert after["total"]["amount"] == "1600.00" and after["exchangeRate"]["asOf"] == "2026-11-25"
    assert client.get(f"/quotes/{before['id']}").json["total"] == before["total"]
    incomplete = client.put(
        "/exchange-rates", json={"asOf": "2026-11-26", "rates": {"USD": "1.0"}}, headers=bearer("PLATFORM_ADMIN")
    )
    assert incomplete.status_code == 400
    zero = client.put(
        "/exchange-rates", json={**table, "rates": {**table["rates"], "VND": "0.000"}}, headers=bearer("PLATFORM_ADMIN")
    )
    assert zero.status_code == 400 and zero.json["errors"] == [
        {"field": "rates.VND", "message": "must be more than zero"}
    ]
    floaty = client.put(
        "/exchange-rates", json={**table, "rates": {**table["rates"], "USD": 1390.5}}, headers=bearer("PLATFORM_ADMIN")
    )
    assert floaty.status_code == 400


def test_seed_packages_offer_only_what_their_clinics_offer(client, catalogue_url):
    import requests

    for package in client.get("/packages?limit=100").json["items"]:
        offered = {p["code"] for p in requests.get(f"{catalogue_url}/clinics/{package['clinic']}").json()["procedures"]}
        assert {item["procedure"] for item in package["items"]} <= offered, package["id"]
        assert package["sampleFields"], "seed prices are sample data"


def test_loading_the_seed_twice_writes_nothing(packages):
    with packages.app_context():
        assert seed.load_seed() == {"packages": 0, "exchangeRateTables": 0}
