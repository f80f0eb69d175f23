"""Package events: each change written in its transaction, told to its clinic, and to agencies once public."""

from __future__ import annotations

from tests.support import SEED_ORACLE_PACKAGE

from .test_writes import admin, create


def feed(client, headers, after: int = 0, types: str | None = None) -> dict:
    answer = client.get(f"/events?after={after}&limit=100" + (f"&types={types}" if types else ""), headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_packages_life_is_told_to_its_clinic_and_to_agencies_once_they_may_see_it(client, bearer):
    agency = bearer("AGENCY", agency="seoul-trips")
    draft = create(client, bearer)
    assert (
        client.patch(f"/packages/{draft['id']}", json={"priceKrw": 1_900_000}, headers=admin(bearer)).status_code == 200
    )
    assert client.post(f"/packages/{draft['id']}/publish", headers=admin(bearer)).status_code == 200
    edited = client.patch(f"/packages/{draft['id']}", json={"priceKrw": 2_100_000}, headers=admin(bearer))
    assert edited.status_code == 200
    assert client.post(f"/packages/{draft['id']}/archive", headers=admin(bearer)).status_code == 200

    told = feed(client, admin(bearer))["items"]
    assert [(e["type"], e["data"]["status"], e["data"]["version"]) for e in told] == [
        ("package.updated", "DRAFT", 2),
        ("package.published", "PUBLISHED", 2),
        ("package.updated", "PUBLISHED", 3),
        ("package.archived", "ARCHIVED", 3),
    ]
    assert {e["resource"]["id"] for e in told} == {draft["id"]} and told[2]["data"]["priceKrw"] == 2_100_000
    # An agency never hears of the draft's edit: the package was not yet one it could see.
    assert [e["id"] for e in feed(client, agency)["items"]] == [e["id"] for e in told[1:]]
    assert feed(client, admin(bearer, "id-dermatology"))["items"] == []
    assert [e["type"] for e in feed(client, agency, types="package.archived")["items"]] == ["package.archived"]


def test_a_refused_change_writes_no_event(client, bearer):
    stale = client.patch(
        f"/packages/{SEED_ORACLE_PACKAGE}", json={"priceKrw": 1}, headers={**admin(bearer), "If-Match": '"7"'}
    )
    assert stale.status_code == 412
    assert client.post(f"/packages/{SEED_ORACLE_PACKAGE}/publish", headers=admin(bearer)).status_code == 409
    assert feed(client, admin(bearer))["items"] == []
    assert feed(client, bearer("PLATFORM_ADMIN"))["items"] == []


def test_the_feed_needs_a_token_and_knows_its_types(client, bearer):
    assert client.get("/events").status_code == 401
    refused = client.get("/events?types=booking.created", headers=bearer("AGENCY", agency="seoul-trips"))
    assert refused.status_code == 400 and refused.json["errors"][0]["field"].startswith("types")
