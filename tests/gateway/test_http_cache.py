"""Public reads are cached for as long as the service says, and never what a token or a write touches.

The services mark an anonymous public read ``Cache-Control: public, max-age=N`` (N = 1 s for
clinics and packages, 60 s for the knowledge base); everything else is ``no-store``. The gateway's
HTTP client keeps what it may, sends public reads without the caller's token when the answer is
the same for every caller who is not a clinic's admin, and after a mutation forgets only the reads
that show what the mutation touched (a package, a clinic, slots, the rates).
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
import requests

from services.common.http import AsyncServiceClient
from services.packages.seed import seed_id
from tests.support import AGENCY_KEY, ORACLE_KEY, gql

CLINIC = '{ clinic(slug: "oracle-skin-clinic") { name doctors { name } } }'
DRAFTABLE = str(seed_id("oracle-icepick-tca-co2"))


@pytest.fixture
def network(monkeypatch):
    """Requests that really left the gateway (not answered from its cache), by service."""
    sent: Counter = Counter()
    original = AsyncServiceClient._exchange

    async def exchange(self, *args, **kwargs):
        sent[self.service] += 1
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(AsyncServiceClient, "_exchange", exchange)
    return sent


def test_services_mark_only_anonymous_public_reads_cacheable(catalogue_url, packages_url, bookings_url, bearer):
    public = requests.get(f"{catalogue_url}/clinics/oracle-skin-clinic", timeout=5)
    assert public.headers["Cache-Control"] == "public, max-age=1"
    assert public.headers["Vary"] == "Authorization, Accept-Language"
    assert requests.get(f"{catalogue_url}/procedures", timeout=5).headers["Cache-Control"] == "public, max-age=60"
    assert (
        requests.get(f"{packages_url}/packages/{DRAFTABLE}", timeout=5).headers["Cache-Control"] == "public, max-age=1"
    )
    admin = bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic")
    for answer in (
        requests.get(f"{catalogue_url}/clinics/oracle-skin-clinic", headers=admin, timeout=5),  # behind a token
        requests.get(f"{catalogue_url}/clinics", timeout=5),  # a listing: fresh
        requests.get(f"{packages_url}/packages/{'0' * 24}", timeout=5),  # a 404
        requests.get(f"{bookings_url}/bookings", headers=bearer("AGENCY", agency="seoul-trips"), timeout=5),
    ):
        assert answer.headers["Cache-Control"] == "no-store", answer.url


def test_the_gateway_reuses_a_public_read_until_it_is_stale(gateway, network):
    first = gql(gateway, CLINIC).json["data"]["clinic"]
    sent = sum(network.values())
    assert sent == 1
    assert gql(gateway, CLINIC, key=AGENCY_KEY).json["data"]["clinic"] == first  # an agency's read is the same read
    assert sum(network.values()) == sent
    time.sleep(2.1)  # max-age=1 against a Date header of whole seconds: stale after at most 2 s
    gql(gateway, CLINIC)
    assert sum(network.values()) == sent + 1


def test_a_mutation_through_the_gateway_is_read_back_at_once(gateway, network):
    gql(gateway, CLINIC)
    update = """mutation U($input: ClinicPatchInput!) { updateClinic(slug: "oracle-skin-clinic", input: $input) {
      clinic { slug } errors { code } } }"""
    before = gql(gateway, CLINIC).json["data"]["clinic"]["doctors"]
    doctors = [{"name": {"en": "Dr. Cache Test"}}]
    try:
        assert (
            gql(gateway, update, {"input": {"doctors": doctors}}, key=ORACLE_KEY).json["data"]["updateClinic"]["errors"]
            == []
        )
        assert gql(gateway, CLINIC).json["data"]["clinic"]["doctors"] == [{"name": "Dr. Cache Test"}]
    finally:
        gql(gateway, update, {"input": {"doctors": [{"name": {"en": d["name"]}} for d in before]}}, key=ORACLE_KEY)


def test_a_mutation_forgets_only_the_cached_reads_of_what_it_touched(gateway, network):
    procedures = '{ package(id: "%s") { items { procedure { name } } } }' % DRAFTABLE
    update = """mutation U($input: ClinicPatchInput!) { updateClinic(slug: "oracle-skin-clinic", input: $input) {
      clinic { slug } errors { code } } }"""
    gql(gateway, procedures)  # the knowledge base's procedures: cached for a minute
    before = gql(gateway, CLINIC).json["data"]["clinic"]["doctors"]
    try:
        changed = gql(gateway, update, {"input": {"doctors": [{"name": {"en": "Dr. Forget Test"}}]}}, key=ORACLE_KEY)
        assert changed.json["data"]["updateClinic"]["errors"] == []
        asked = network["catalogue"]
        assert gql(gateway, procedures).json["data"]["package"]["items"][0]["procedure"]["name"]
        assert network["catalogue"] == asked  # the procedures the clinic's change cannot touch: still cached
        assert gql(gateway, CLINIC).json["data"]["clinic"]["doctors"] == [{"name": "Dr. Forget Test"}]
        assert network["catalogue"] == asked + 1  # the clinic it touched: read again
    finally:
        gql(gateway, update, {"input": {"doctors": [{"name": {"en": d["name"]}} for d in before]}}, key=ORACLE_KEY)


def test_a_clinic_admins_reads_are_never_cached(gateway, network):
    query = '{ package(id: "%s") { id status } }' % DRAFTABLE
    for _ in range(3):
        assert gql(gateway, query, key=ORACLE_KEY).json["data"]["package"]["id"] == DRAFTABLE
    assert sum(network.values()) == 3
