"""Configuration, read from the environment only. Every knob has a default."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from dataclasses import dataclass, field, replace

DEV_TOKEN_SECRET = "clinicbridge-development-secret-change-me"
# Seals webhook signing secrets in development; public, so production refuses it (a Fernet key: 32 bytes, base64).
DEV_WEBHOOK_SECRET_KEY = base64.urlsafe_b64encode(b"clinicbridge-development-key-000").decode()


def _loopback(bind: str) -> bool:
    """Whether a gunicorn bind address (``host:port``, ``[v6]:port``, ``unix:path``) reaches only this machine."""
    if bind.startswith(("unix:", "fd://")):
        return True
    host = bind.rsplit(":", 1)[0] if bind.count(":") == 1 or bind.startswith("[") else bind
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def exposed_with_development_secret(binds: list[str], environment: str, secret: str | None) -> str | None:
    """Why a service must not start on ``binds`` (None when it may): listening beyond loopback with the
    public development token secret would let anyone who reaches the port sign a platform admin's token."""
    if environment == "production" or (secret and secret != DEV_TOKEN_SECRET):
        return None
    exposed = [bind for bind in binds if not _loopback(bind)]
    if not exposed:
        return None
    return (
        f"refusing to listen on {', '.join(exposed)} with the development SERVICE_TOKEN_SECRET: anyone who reaches "
        "it could sign a platform admin's token. Set SERVICE_TOKEN_SECRET (32+ random characters) and "
        "CLINICBRIDGE_ENV=production, or listen on 127.0.0.1 only (BIND_HOST)."
    )


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """What a service needs to run. Built by :func:`from_env`; tests use ``replace``."""

    service: str
    environment: str = "development"
    mongo_uri: str = "mongodb://127.0.0.1:27018"
    database: str = ""
    mongo_timeout_ms: int = 2000
    token_secret: str = DEV_TOKEN_SECRET
    token_ttl_seconds: int = 60
    max_body_bytes: int = 64 * 1024
    log_level: str = "INFO"
    http_timeout_seconds: float = 3.0
    quote_ttl_minutes: int = 24 * 60
    min_notice_hours: int = 24
    seat_hold_seconds: int = 120  # a booking in progress holds its seat this long; past it the sweeper reclaims it
    checkout_hold_minutes: int = 15  # holdVisits keeps every seat this long for the booking to come
    interpreter_buffer_minutes: int = 30  # an interpreter's time after a visit before the next one
    reschedule_notice_hours: int = 72  # a visit may be moved until this long before it starts
    read_model_wait_seconds: float = 10.0  # how long a listing waits for its read model to load before a 503
    webhook_timeout_seconds: float = 5.0  # the whole of a delivery request: connect, send, status, headers and body
    webhook_endpoint_concurrency: int = 2  # requests in flight to one endpoint, across every dispatcher
    webhook_dns_timeout_seconds: float = 2.0  # resolving a webhook URL's host name
    webhook_retry_base_seconds: float = 10.0  # the first retry's delay; each next one doubles it
    webhook_retry_max_seconds: float = 3600.0  # no retry waits longer than this
    webhook_retry_for_seconds: int = 24 * 3600  # retries stop this long after the event; the endpoint is then failing
    webhook_poll_seconds: float = 0.5  # an idle dispatcher looks for new events this often
    webhook_secret_keys: tuple[str, ...] = (DEV_WEBHOOK_SECRET_KEY,)  # seal signing secrets at rest; newest first
    event_horizon_days: int = 30  # events are kept this long in each service's log
    service_urls: dict[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def with_overrides(self, **changes) -> Settings:
        return replace(self, **changes)


SERVICE_URL_DEFAULTS = {
    "catalogue": "http://127.0.0.1:8001",
    "packages": "http://127.0.0.1:8002",
    "bookings": "http://127.0.0.1:8003",
    "webhooks": "http://127.0.0.1:8004",
}


def _keys(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list of Fernet keys (32 bytes, URL-safe base64), newest first."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    keys = tuple(key.strip() for key in raw.split(",") if key.strip())
    for key in keys:
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise RuntimeError(f"{name} holds a key that is not 32 bytes of URL-safe base64")
    return keys


def event_horizon_days() -> int:
    """How long each service's event log keeps an event (``EVENT_HORIZON_DAYS``)."""
    return max(1, _int("EVENT_HORIZON_DAYS", 30))


def from_env(service: str) -> Settings:
    env = os.environ.get
    settings = Settings(
        service=service,
        environment=env("CLINICBRIDGE_ENV", "development"),
        mongo_uri=env("MONGO_URI") or "mongodb://127.0.0.1:27018",
        database=env(f"{service.upper()}_DB_NAME", f"clinicbridge_{service}"),
        mongo_timeout_ms=_int("MONGO_TIMEOUT_MS", 2000),
        token_secret=env("SERVICE_TOKEN_SECRET", DEV_TOKEN_SECRET),
        token_ttl_seconds=_int("SERVICE_TOKEN_TTL_SECONDS", 60),
        max_body_bytes=_int("MAX_BODY_BYTES", 64 * 1024),
        log_level=env("LOG_LEVEL", "INFO").upper(),
        http_timeout_seconds=float(env("HTTP_TIMEOUT_SECONDS", "3")),
        quote_ttl_minutes=_int("QUOTE_TTL_MINUTES", 24 * 60),
        min_notice_hours=_int("MIN_NOTICE_HOURS", 24),
        seat_hold_seconds=_int("SEAT_HOLD_SECONDS", 120),
        checkout_hold_minutes=_int("CHECKOUT_HOLD_MINUTES", 15),
        interpreter_buffer_minutes=_int("INTERPRETER_BUFFER_MINUTES", 30),
        reschedule_notice_hours=_int("RESCHEDULE_NOTICE_HOURS", 72),
        read_model_wait_seconds=float(env("READ_MODEL_WAIT_SECONDS", "10")),
        webhook_timeout_seconds=float(env("WEBHOOK_TIMEOUT_SECONDS", "5")),
        webhook_endpoint_concurrency=max(1, _int("WEBHOOK_ENDPOINT_CONCURRENCY", 2)),
        webhook_dns_timeout_seconds=float(env("WEBHOOK_DNS_TIMEOUT_SECONDS", "2")),
        webhook_retry_base_seconds=float(env("WEBHOOK_RETRY_BASE_SECONDS", "10")),
        webhook_retry_max_seconds=float(env("WEBHOOK_RETRY_MAX_SECONDS", "3600")),
        webhook_retry_for_seconds=_int("WEBHOOK_RETRY_FOR_SECONDS", 24 * 3600),
        webhook_poll_seconds=float(env("WEBHOOK_POLL_SECONDS", "0.5")),
        event_horizon_days=event_horizon_days(),
        # Only the webhooks service (and its dispatcher) keeps signing secrets.
        webhook_secret_keys=_keys("WEBHOOK_SECRET_KEYS", (DEV_WEBHOOK_SECRET_KEY,)) if service == "webhooks" else (),
        service_urls={name: env(f"{name.upper()}_URL", default) for name, default in SERVICE_URL_DEFAULTS.items()},
    )
    if settings.is_production and (settings.token_secret == DEV_TOKEN_SECRET or len(settings.token_secret) < 32):
        # Fail fast: a production service must never accept tokens signed with a public or short secret.
        raise RuntimeError("SERVICE_TOKEN_SECRET must be set to 32+ characters when CLINICBRIDGE_ENV=production")
    if service == "webhooks" and not settings.webhook_secret_keys:
        raise RuntimeError("WEBHOOK_SECRET_KEYS must name at least one key")
    if service == "webhooks" and settings.is_production and DEV_WEBHOOK_SECRET_KEY in settings.webhook_secret_keys:
        # Signing secrets sealed with a public key are as good as stored in plain text.
        raise RuntimeError("WEBHOOK_SECRET_KEYS must name a key of your own when CLINICBRIDGE_ENV=production")
    if settings.is_production and (env("FAILPOINTS") or env("FAILPOINTS_FILE")):
        raise RuntimeError(
            "FAILPOINTS and FAILPOINTS_FILE (crash points for fault tests) must not be set "
            "when CLINICBRIDGE_ENV=production"
        )
    return settings
