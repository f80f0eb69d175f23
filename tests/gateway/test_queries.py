"""The gateway's own query (API keys by hash) is index-served, like every service's."""

from __future__ import annotations

from gateway import keys
from tests.support import AGENCY_KEY, run_examples


def test_the_api_key_lookup_is_index_served_and_a_revoked_key_is_refused(make_gateway, mongo_client):
    app = make_gateway()
    examples = {"key_by_hash": [lambda f: f(keys.digest(AGENCY_KEY)), lambda f: f(keys.digest("cbk_nothing"))]}
    run_examples(app, keys.registry, examples, mongo_client, app.config["SETTINGS"].database)
    with app.app_context():
        record, key = keys.create("revoked soon", "AGENCY", agency="seoul-trips")
        assert keys.principal_for(key) is not None
        assert keys.revoke(str(record.pk))
        assert keys.principal_for(key) is None
