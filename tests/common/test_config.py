"""Configuration comes from the environment, with defaults, and fails fast where it must."""

from __future__ import annotations

import pytest

from services.common.config import from_env


def test_every_knob_has_a_default(monkeypatch):
    for name in ("CLINICBRIDGE_ENV", "MONGO_URI", "CATALOGUE_DB_NAME", "SERVICE_TOKEN_SECRET", "CATALOGUE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = from_env("catalogue")
    assert settings.mongo_uri == "mongodb://127.0.0.1:27018"
    assert settings.database == "clinicbridge_catalogue"
    assert settings.service_urls["catalogue"] == "http://127.0.0.1:8001"
    assert settings.max_body_bytes == 65536


def test_the_environment_overrides_the_defaults(monkeypatch):
    monkeypatch.setenv("MONGO_URI", "mongodb://db.internal:27017/?replicaSet=rs0")
    monkeypatch.setenv("MAX_BODY_BYTES", "1024")
    settings = from_env("catalogue")
    assert settings.mongo_uri == "mongodb://db.internal:27017/?replicaSet=rs0"
    assert settings.max_body_bytes == 1024


@pytest.mark.parametrize("secret", [None, "short-secret"])
def test_production_refuses_a_default_or_short_token_secret(monkeypatch, secret):
    monkeypatch.setenv("CLINICBRIDGE_ENV", "production")
    if secret is None:
        monkeypatch.delenv("SERVICE_TOKEN_SECRET", raising=False)
    else:
        monkeypatch.setenv("SERVICE_TOKEN_SECRET", secret)
    with pytest.raises(RuntimeError, match="SERVICE_TOKEN_SECRET"):
        from_env("catalogue")


def test_a_malformed_number_is_named(monkeypatch):
    monkeypatch.setenv("MAX_BODY_BYTES", "lots")
    with pytest.raises(RuntimeError, match="MAX_BODY_BYTES"):
        from_env("catalogue")


@pytest.mark.parametrize("keys", [None, "", "not-a-key"])
def test_production_webhooks_refuse_to_start_without_a_real_secret_key(monkeypatch, keys):
    monkeypatch.setenv("CLINICBRIDGE_ENV", "production")
    monkeypatch.setenv("SERVICE_TOKEN_SECRET", "x" * 40)
    if keys is None:
        monkeypatch.delenv("WEBHOOK_SECRET_KEYS", raising=False)
    else:
        monkeypatch.setenv("WEBHOOK_SECRET_KEYS", keys)
    with pytest.raises(RuntimeError, match="WEBHOOK_SECRET_KEYS"):
        from_env("webhooks")
    assert from_env("catalogue").is_production  # the other services keep no webhook secrets
