"""Signing secrets at rest: sealed with a key from the environment, unreadable in the database, still
signing after the key is rotated, and those stored before in plain text sealed once."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import timedelta

import bson
import pytest
from cryptography.fernet import Fernet
from standardwebhooks import Webhook

from services.common.clock import utcnow
from services.webhooks import store
from services.webhooks.dispatcher import Dispatcher, delivery_for
from tests.support import ROOT, Receiver

EVENT = {
    "type": "booking.created",
    "at": "2026-11-24T10:00:00Z",
    "resource": {"type": "booking", "id": "CB-ABCDEFGH"},
    "data": {"status": "PENDING"},
}


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


def stored(mongo_client, app, endpoint_id: str) -> dict:
    return mongo_client[app.config["SETTINGS"].database].endpoints.find_one({"_id": endpoint_id})


def readable_in(document: dict, secret: str) -> bool:
    """Whether the secret, in any of its spellings, is anywhere in the stored document."""
    raw = bson.encode(document)
    key = secret.removeprefix("whsec_")
    return any(form in raw for form in (secret.encode(), key.encode(), base64.b64decode(key), b"whsec_"))


def deliver(app, settings, endpoint_id: str, receiver: Receiver, n: int) -> dict:
    """Send one new event to the endpoint with ``settings``' keys; the request the receiver got."""
    with app.app_context():
        endpoint = store.endpoint_by_id(endpoint_id)
        store.insert_deliveries([delivery_for(endpoint, {**EVENT, "id": f"{n:032d}"}, utcnow(), timedelta(hours=1))])
        assert Dispatcher(settings).send_due() == 1
    return receiver.received[-1]


def command(app, *args: str, keys: tuple[str, ...]) -> None:
    settings = app.config["SETTINGS"]
    env = {
        **os.environ,
        "MONGO_URI": settings.mongo_uri,
        "WEBHOOKS_DB_NAME": settings.database,
        "WEBHOOK_SECRET_KEYS": ",".join(keys),
    }
    subprocess.run([sys.executable, "-m", "services.webhooks", *args], cwd=ROOT, env=env, check=True, timeout=60)


def test_secrets_are_unreadable_in_the_database_and_still_sign_after_a_key_rotation(
    webhooks, bearer, mongo_client, receiver
):
    app = webhooks
    agency = bearer("AGENCY", agency="seoul-trips")
    made = app.test_client().post(
        "/webhooks", json={"url": receiver.url, "events": ["booking.created"]}, headers=agency
    )
    endpoint_id, secret = made.json["id"], made.json["secret"]
    assert not readable_in(stored(mongo_client, app, endpoint_id), secret)
    settings = app.config["SETTINGS"]
    request = deliver(app, settings, endpoint_id, receiver, 1)
    Webhook(secret).verify(request["body"], request["headers"])

    # Rotation: the new key first, the old one still known; every secret sealed again; the old key dropped.
    new_key = Fernet.generate_key().decode()
    before = stored(mongo_client, app, endpoint_id)["secrets"]
    command(app, "reseal", keys=(new_key, *settings.webhook_secret_keys))
    after = stored(mongo_client, app, endpoint_id)["secrets"]
    assert after != before and not readable_in(stored(mongo_client, app, endpoint_id), secret)
    request = deliver(app, settings.with_overrides(webhook_secret_keys=(new_key,)), endpoint_id, receiver, 2)
    Webhook(secret).verify(request["body"], request["headers"])  # the partner changes nothing
    # A dispatcher that knows only the old key can no longer read it: the old key is truly retired.
    with app.app_context():
        old_only = Dispatcher(settings)
        endpoint = store.endpoint_by_id(endpoint_id)
        store.insert_deliveries([delivery_for(endpoint, {**EVENT, "id": "3" * 32}, utcnow(), timedelta(hours=1))])
        assert old_only.send_due() == 1
        failed = store.delivery_by_id(f"{endpoint_id}:{'3' * 32}")
    assert len(receiver.received) == 2 and failed["last_error"] == "The delivery could not be sent."


def test_secrets_stored_in_plain_text_are_sealed_once_at_start_up(webhooks, mongo_client, receiver):
    app = webhooks
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    now = utcnow()
    mongo_client[app.config["SETTINGS"].database].endpoints.insert_one(
        {  # an endpoint as it was stored before secrets were sealed
            "_id": "wh_" + "a" * 24,
            "kind": "agency",
            "owner": "agency:seoul-trips",
            "url": receiver.url,
            "events": ["booking.created"],
            "secrets": [{"secret": secret, "created_at": now}],
            "state": "ACTIVE",
            "created_at": now - timedelta(minutes=1),
            "created_key": f"{now.isoformat()}:wh_{'a' * 24}",
            "updated_at": now,
        }
    )
    keys = app.config["SETTINGS"].webhook_secret_keys
    command(app, "init", keys=keys)
    sealed = stored(mongo_client, app, "wh_" + "a" * 24)
    assert not readable_in(sealed, secret)
    command(app, "init", keys=keys)  # once: a second start-up leaves it as it is
    assert stored(mongo_client, app, "wh_" + "a" * 24) == sealed
    request = deliver(app, app.config["SETTINGS"], "wh_" + "a" * 24, receiver, 4)
    Webhook(secret).verify(request["body"], request["headers"])
