"""Listings answer from the services' read models: a clinic admin's change shows in them within
a second, and a quote always prices the package's current version (read fresh)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from tests.support import ORACLE_KEY, gql

NEW_PACKAGE = {
    "clinic": "oracle-skin-clinic",
    "title": {"en": "Listing freshness probe: TCA CROSS x3"},
    "scarTypes": ["BOXCAR"],
    "items": [{"procedure": "TCA_CROSS", "sessions": 3}],
    "sessionIntervalDays": 28,
    "interpreterOptions": [{"language": "en", "included": True}],
    "priceKrw": 1_300_000,
    "cancellationPolicy": {"tiers": [{"daysBefore": 0, "refundPercent": 50}]},
    "minimumStayDays": 3,
}
CREATE = """mutation C($input: PackageInput!) { createPackage(input: $input) { package { id } errors { code } } }"""
PUBLISH = """mutation P($id: ID!) { publishPackage(id: $id) { package { id } errors { code } } }"""
LISTING = """query L($clinic: [String!]) { packages(first: 20, filter: {clinic: $clinic}) {
  totalCount edges { node { id priceKrw version } } } }"""
UPDATE_PACKAGE = """mutation U($id: ID!, $input: PackagePatchInput!) {
  updatePackage(id: $id, input: $input) { package { version priceKrw } errors { code message } } }"""
UPDATE_CLINIC = """mutation U($slug: String!, $input: ClinicPatchInput!) {
  updateClinic(slug: $slug, input: $input) { clinic { name } errors { code message } } }"""
QUOTE = """mutation Q($input: CreateQuoteInput!) { createQuote(input: $input) {
  quote { packageVersion base { krw } } errors { code } } }"""


def seconds_until(check, limit: float = 5.0) -> float:
    """How long until ``check()`` holds (polled every 20 ms); fails past ``limit``."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < limit, "the change never showed"
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_package_change_shows_in_listings_within_a_second_and_quotes_use_it(gateway):
    created = gql(gateway, CREATE, {"input": NEW_PACKAGE}, key=ORACLE_KEY).json["data"]["createPackage"]
    assert created["errors"] == [], created
    package_id = created["package"]["id"]
    gql(gateway, PUBLISH, {"id": package_id}, key=ORACLE_KEY)

    def listed() -> dict | None:
        edges = gql(gateway, LISTING, {"clinic": ["oracle-skin-clinic"]}).json["data"]["packages"]["edges"]
        return next((edge["node"] for edge in edges if edge["node"]["id"] == package_id), None)

    assert seconds_until(lambda: listed() is not None) < 1.0
    before = listed()
    new_price = before["priceKrw"] + 10_000
    changed = gql(gateway, UPDATE_PACKAGE, {"id": package_id, "input": {"priceKrw": new_price}}, key=ORACLE_KEY).json
    assert changed["data"]["updatePackage"]["errors"] == []
    version = changed["data"]["updatePackage"]["package"]["version"]
    assert version == before["version"] + 1
    # A quote asked for at once prices the new version: quotes read the package fresh.
    quote = gql(gateway, QUOTE, {"input": {"packageId": package_id}}).json["data"]["createQuote"]["quote"]
    assert (quote["packageVersion"], quote["base"]["krw"]) == (version, new_price)
    waited = seconds_until(lambda: listed()["priceKrw"] == new_price)
    assert waited < 1.0, f"the listing showed the new price after {waited:.2f} s"
    assert listed()["version"] == version


def test_a_clinic_rename_is_searchable_within_a_second(gateway):
    word = "Zelkova" + uuid.uuid4().hex[:6]
    search = (
        """query S($q: String!) { clinics(first: 5, filter: {search: $q}) { totalCount edges { node { slug } } } }"""
    )
    seeded = json.loads(
        (Path(__file__).resolve().parents[2] / "seed" / "catalogue" / "clinics.json").read_text(encoding="utf-8")
    )
    original = next(
        c["clinic"]["name"] for c in seeded if c["clinic"]["slug"] == "oracle-skin-clinic"
    )  # every language
    renamed = gql(
        gateway,
        UPDATE_CLINIC,
        {"slug": "oracle-skin-clinic", "input": {"name": {"en": f"Oracle {word} Clinic"}}},
        key=ORACLE_KEY,
    ).json
    try:
        assert renamed["data"]["updateClinic"]["errors"] == []
        found = lambda: gql(gateway, search, {"q": word.lower()}).json["data"]["clinics"]  # noqa: E731
        waited = seconds_until(lambda: found()["totalCount"] == 1)
        assert waited < 1.0, f"the renamed clinic was found after {waited:.2f} s"
        assert found()["edges"] == [{"node": {"slug": "oracle-skin-clinic"}}]
    finally:
        gql(gateway, UPDATE_CLINIC, {"slug": "oracle-skin-clinic", "input": {"name": original}}, key=ORACLE_KEY)
    assert (
        seconds_until(lambda: gql(gateway, search, {"q": word.lower()}).json["data"]["clinics"]["totalCount"] == 0)
        < 1.0
    )
