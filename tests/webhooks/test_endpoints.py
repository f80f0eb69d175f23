"""Partners manage their own webhook endpoints; a secret is shown once; no URL reaches our own network."""

from __future__ import annotations

import pytest

from tests.support import ORACLE

RECEIVER = "http://127.0.0.1:9/hooks"


def create(client, headers, url=RECEIVER, events=("booking.confirmed",)):
    return client.post("/webhooks", json={"url": url, "events": list(events)}, headers=headers)


def test_an_agency_creates_an_endpoint_and_sees_its_secret_once(client, bearer):
    agency = bearer("AGENCY", agency="seoul-trips")
    made = create(client, agency, events=("booking.confirmed", "visit.rescheduled"))
    assert made.status_code == 201, made.json
    assert made.json["secret"].startswith("whsec_") and made.json["state"] == "ACTIVE"
    assert made.json["owner"] == {"kind": "agency", "id": "seoul-trips"}
    listed = client.get("/webhooks", headers=agency).json["items"]
    assert [w["id"] for w in listed] == [made.json["id"]] and "secret" not in listed[0]
    assert "secret" not in client.get(f"/webhooks/{made.json['id']}", headers=agency).json


def test_an_endpoint_is_its_owners_alone(client, bearer):
    mine = create(client, bearer("AGENCY", agency="seoul-trips")).json["id"]
    other = bearer("AGENCY", agency="han-river-travel")
    clinic = bearer("CLINIC_ADMIN", clinic=ORACLE)
    for headers in (other, clinic):
        assert client.get(f"/webhooks/{mine}", headers=headers).status_code == 404
        assert client.patch(f"/webhooks/{mine}", json={"enabled": False}, headers=headers).status_code == 404
        assert client.post(f"/webhooks/{mine}/rotate-secret", headers=headers).status_code == 404
        assert client.delete(f"/webhooks/{mine}", headers=headers).status_code == 404
        assert client.get(f"/webhooks/{mine}/deliveries", headers=headers).status_code == 404
        assert client.get("/webhooks", headers=headers).json["items"] == []
    admin = bearer("PLATFORM_ADMIN")
    assert client.get(f"/webhooks/{mine}", headers=admin).status_code == 200
    assert create(client, admin).status_code == 403  # an endpoint belongs to an agency or a clinic
    assert client.get("/webhooks").status_code == 401


def test_rotating_gives_a_new_secret_and_deleting_removes_the_endpoint(client, bearer):
    clinic = bearer("CLINIC_ADMIN", clinic=ORACLE)
    made = create(client, clinic, events=("package.updated",)).json
    rotated = client.post(f"/webhooks/{made['id']}/rotate-secret", headers=clinic)
    assert rotated.status_code == 200 and rotated.json["secret"].startswith("whsec_")
    assert rotated.json["secret"] != made["secret"]
    paused = client.patch(
        f"/webhooks/{made['id']}", json={"enabled": False, "events": ["package.archived"]}, headers=clinic
    )
    assert (paused.json["state"], paused.json["events"]) == ("DISABLED", ["package.archived"])
    assert client.delete(f"/webhooks/{made['id']}", headers=clinic).status_code == 204
    assert client.get(f"/webhooks/{made['id']}", headers=clinic).status_code == 404


@pytest.mark.parametrize(
    "events, field",
    [([], "events"), (["booking.exploded"], "events[0]"), (["booking.created", "booking.created"], "events")],
)
def test_bad_event_lists_are_refused_and_write_nothing(client, bearer, events, field):
    agency = bearer("AGENCY", agency="seoul-trips")
    refused = create(client, agency, events=events)
    assert refused.status_code == 400 and refused.json["errors"][0]["field"] == field
    assert client.get("/webhooks", headers=agency).json["items"] == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8443/hooks",  # not https
        "https://127.0.0.1/hooks",  # loopback
        "https://localhost/hooks",
        "https://[::1]/hooks",
        "https://10.0.0.5/hooks",  # private
        "https://192.168.1.20/hooks",
        "https://172.16.0.1/hooks",
        "https://169.254.169.254/latest/meta-data",  # link-local: cloud metadata
        "https://[::ffff:10.0.0.5]/hooks",  # private, spelled as IPv6
        # IPv6 forms that carry an IPv4 address inside them: the address inside is what is checked
        "https://[64:ff9b::a9fe:a9fe]/latest/meta-data",  # NAT64 of 169.254.169.254
        "https://[64:ff9b:1::a9fe:a9fe]/hooks",  # local-use NAT64
        "https://[2002:a9fe:a9fe::]/hooks",  # 6to4 of 169.254.169.254
        "https://[::7f00:1]/hooks",  # IPv4-compatible 127.0.0.1
        "https://[::a00:5]/hooks",  # IPv4-compatible 10.0.0.5
        "https://[::ffff:0:a00:5]/hooks",  # IPv4-translated 10.0.0.5
        "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hooks",  # Teredo, its client 127.0.0.1
        "https://0.0.0.0/hooks",
        "https://user:pass@8.8.8.8/hooks",
        "https://no-such-host.invalid/hooks",
        "file:///etc/passwd",
    ],
)
def test_production_refuses_urls_that_are_not_https_to_public_addresses(production_client, bearer, url):
    agency = bearer("AGENCY", agency="seoul-trips")
    refused = create(production_client, agency, url=url)
    assert refused.status_code in (400, 422), refused.json
    if refused.status_code == 422:
        assert refused.json["code"] == "URL_NOT_ALLOWED" and refused.json["errors"][0]["field"] == "url"
    assert production_client.get("/webhooks", headers=agency).json["items"] == []


def test_production_refuses_a_url_changed_to_a_private_address(production_client, bearer):
    agency = bearer("AGENCY", agency="seoul-trips")
    made = create(production_client, agency, url="https://8.8.8.8/hooks")
    assert made.status_code == 201, made.json
    moved = production_client.patch(f"/webhooks/{made.json['id']}", json={"url": "https://10.1.2.3/"}, headers=agency)
    assert moved.status_code == 422 and moved.json["code"] == "URL_NOT_ALLOWED"
    assert production_client.get(f"/webhooks/{made.json['id']}", headers=agency).json["url"] == "https://8.8.8.8/hooks"


def test_development_allows_loopback_but_never_private_or_link_local(client, bearer):
    agency = bearer("AGENCY", agency="seoul-trips")
    assert create(client, agency, url="http://127.0.0.1:8080/hooks").status_code == 201
    for url in ("http://10.0.0.5/hooks", "http://169.254.169.254/", "http://[fe80::1]/"):
        assert create(client, agency, url=url).status_code == 422, url


def test_a_public_address_reached_through_nat64_is_allowed(production_client, bearer):
    agency = bearer("AGENCY", agency="seoul-trips")
    made = create(production_client, agency, url="https://[64:ff9b::808:808]/hooks")  # 8.8.8.8
    assert made.status_code == 201, made.json
