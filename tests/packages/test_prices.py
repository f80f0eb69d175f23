"""The packages service prices a package in a currency for the gateway: the price rule's answer, at
the package's current version or the one asked (a quote's package as quoted)."""

from __future__ import annotations

from services.packages import prices, rates, store
from services.packages.seed import seed_id

PACKAGE = str(seed_id("oracle-icepick-tca-co2"))


def test_a_packages_price_in_a_currency_is_the_price_rules(packages, client):
    answer = client.get(f"/packages/prices?ids={PACKAGE},{'0' * 24}&currency=USD")
    assert answer.status_code == 200, answer.json
    assert answer.headers["Cache-Control"] == "public, max-age=1"
    with packages.app_context():
        table = rates.current_rates()
        doc = store.package_by_id(seed_id("oracle-icepick-tca-co2"))
    expected = prices.package_prices(doc, table["rates"]["USD"], "USD")
    assert answer.json["items"] == [expected, None]
    assert answer.json["exchangeRate"] == {"krwPerUnit": table["rates"]["USD"], "asOf": table["asOf"]}
    assert expected["pricePerSession"]["krw"] == doc["price_krw"] // doc["visits"]


def test_an_earlier_version_is_priced_as_it_was(client, bearer):
    admin = bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic")
    before = client.get(f"/packages/prices?ids={PACKAGE}").json["items"][0]
    assert client.patch(f"/packages/{PACKAGE}", headers=admin, json={"priceKrw": 2_700_000}).status_code == 200
    now = client.get(f"/packages/prices?ids={PACKAGE}").json["items"][0]
    then = client.get(f"/packages/prices?ids={PACKAGE}&versions=1").json["items"][0]
    assert now["price"]["krw"] == 2_700_000 and then == before
    assert client.get(f"/packages/prices?ids={PACKAGE}&versions=1,2").status_code == 400
