"""Safe by default where the stack is deployed: no service reachable from outside with the public
development secret, containers in production, and a database that asks who is connecting."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from services.common.config import exposed_with_development_secret
from tests.support import BIN, ROOT, free_port


def serve(app: str, bind: str, **env: str) -> subprocess.CompletedProcess:
    """gunicorn as the Procfile and the Dockerfile run it, bound to ``bind``; given 30 s to stop by itself."""
    environment = {k: v for k, v in os.environ.items() if k not in ("SERVICE_TOKEN_SECRET", "CLINICBRIDGE_ENV")}
    try:
        return subprocess.run(
            [str(BIN / "gunicorn"), "-c", "services/common/gunicorn_config.py", "--bind", bind, app],
            cwd=ROOT,
            env={**environment, "WEB_CONCURRENCY": "1", **env},
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{app} served on {bind}")


@pytest.mark.parametrize("app", ["services.catalogue.wsgi:app", "gateway.wsgi:app"])
def test_a_service_on_every_address_with_the_development_secret_refuses_to_start_and_says_why(app):
    port = free_port()
    refused = serve(app, f"0.0.0.0:{port}")
    assert refused.returncode != 0
    assert "0.0.0.0" in refused.stderr and "SERVICE_TOKEN_SECRET" in refused.stderr, refused.stderr
    assert "Listening at" not in refused.stderr  # it never took the port


@pytest.mark.parametrize(
    "binds, refused",
    [
        (["127.0.0.1:8001"], False),
        (["localhost:8001"], False),
        (["[::1]:8001"], False),
        (["unix:/run/clinicbridge.sock"], False),
        (["0.0.0.0:8001"], True),
        (["[::]:8001"], True),
        (["10.0.0.5:8001"], True),
        (["127.0.0.1:8001", "192.168.1.20:8001"], True),
        (["catalogue:8001"], True),
    ],
)
def test_only_loopback_may_serve_with_the_development_secret(binds, refused):
    assert bool(exposed_with_development_secret(binds, "development", None)) is refused
    assert exposed_with_development_secret(binds, "development", "x" * 40) is None  # a secret of one's own
    assert exposed_with_development_secret(binds, "production", "x" * 40) is None


def test_the_container_image_runs_in_production_by_default():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ENV .*CLINICBRIDGE_ENV=production", dockerfile, re.MULTILINE)


def test_composes_database_asks_for_credentials_from_the_environment():
    compose = yaml.safe_load(Path(ROOT / "docker-compose.yml").read_text())
    mongo = compose["services"]["mongo"]
    environment = mongo["environment"]
    for name in ("MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD"):
        assert re.fullmatch(r"\$\{[A-Z_]+(:-[^}]*|:\?[^}]*)\}", str(environment[name])), environment[name]
    assert ":?" in str(environment["MONGO_INITDB_ROOT_PASSWORD"])  # no password, no start
    assert "--keyFile" in " ".join(map(str, mongo["command"]))  # a replica set with access control
    assert "-u" in " ".join(map(str, mongo["healthcheck"]["test"]))
    for name, service in compose["services"].items():
        uri = (service.get("environment") or {}).get("MONGO_URI")
        if uri is not None:
            assert re.match(r"mongodb://\$\{[A-Z_]+[^}]*\}:\$\{[A-Z_]+:\?[^}]*\}@mongo:27017/", uri), (name, uri)
