"""The webhooks service's HTTP API: partners' endpoints and their delivery logs."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify

from services.common.access import ROLES
from services.common.pagination import DEFAULT_LIMIT
from services.common.validation import contract

from . import endpoints
from .sealing import Sealer, sealer

bp = Blueprint("webhooks", __name__)


def _production() -> bool:
    return current_app.config["SETTINGS"].is_production


def _resolve_within() -> float:
    return current_app.config["SETTINGS"].webhook_dns_timeout_seconds


def _sealer() -> Sealer:
    return sealer(current_app.config["SETTINGS"])


@bp.post("/webhooks")
@contract(
    summary="Create an endpoint for the caller's agency or clinic. The answer shows its signing secret, this once.",
    body="webhooks/webhook-create",
    response="webhooks/webhook",
    status=201,
    auth="token",
    roles=ROLES["webhooks.manage"],
    errors=(422,),
    tags=("webhooks",),
)
def create_webhook(body, principal):
    endpoint, secret = endpoints.create(body, principal, _production(), _sealer(), _resolve_within())
    return jsonify(endpoints.wire(endpoint, secret)), 201


@bp.get("/webhooks")
@contract(
    summary="The caller's endpoints, newest first; every endpoint for a platform admin (who may ask for a state).",
    query="webhooks/webhook-list-query",
    response="webhooks/webhook-page",
    auth="token",
    roles=ROLES["webhooks.read"],
    tags=("webhooks",),
)
def list_webhooks(query, principal):
    return jsonify(
        endpoints.page(principal, query.get("state"), query.get("limit", DEFAULT_LIMIT), query.get("cursor"))
    )


@bp.get("/webhooks/<endpoint_id>")
@contract(
    summary="One of the caller's endpoints.",
    response="webhooks/webhook",
    auth="token",
    roles=ROLES["webhooks.read"],
    errors=(404,),
    tags=("webhooks",),
)
def get_webhook(endpoint_id, principal):
    return jsonify(endpoints.wire(endpoints.find(endpoint_id, principal)))


@bp.patch("/webhooks/<endpoint_id>")
@contract(
    summary="Change an endpoint's URL, event types or description; pause it (enabled: false) or make a paused or "
    "failing one active again (enabled: true).",
    body="webhooks/webhook-update",
    response="webhooks/webhook",
    auth="token",
    roles=ROLES["webhooks.manage"],
    errors=(404, 422),
    tags=("webhooks",),
)
def update_webhook(endpoint_id, body, principal):
    return jsonify(endpoints.wire(endpoints.update(endpoint_id, body, principal, _production(), _resolve_within())))


@bp.post("/webhooks/<endpoint_id>/rotate-secret")
@contract(
    summary="A new signing secret, shown this once. For a day, deliveries carry signatures by the old and new one.",
    response="webhooks/webhook",
    auth="token",
    roles=ROLES["webhooks.manage"],
    errors=(404,),
    tags=("webhooks",),
)
def rotate_secret(endpoint_id, principal):
    endpoint, secret = endpoints.rotate(endpoint_id, principal, _sealer())
    return jsonify(endpoints.wire(endpoint, secret))


@bp.delete("/webhooks/<endpoint_id>")
@contract(
    summary="Delete an endpoint: nothing more is sent to it.",
    status=204,
    auth="token",
    roles=ROLES["webhooks.manage"],
    errors=(404,),
    tags=("webhooks",),
)
def delete_webhook(endpoint_id, principal):
    endpoints.delete(endpoint_id, principal)
    return "", 204


@bp.get("/webhooks/<endpoint_id>/deliveries")
@contract(
    summary="An endpoint's deliveries, newest first, kept 30 days: state, attempts, the last answer and when.",
    query="webhooks/delivery-list-query",
    response="webhooks/delivery-page",
    auth="token",
    roles=ROLES["webhooks.read"],
    errors=(404,),
    tags=("webhooks",),
)
def list_deliveries(endpoint_id, query, principal):
    return jsonify(endpoints.deliveries(endpoint_id, principal, query.get("limit", DEFAULT_LIMIT), query.get("cursor")))


@bp.post("/deliveries/<delivery_id>/redeliver")
@contract(
    summary="Send a delivery again now; its retries start over.",
    response="webhooks/delivery",
    status=202,
    auth="token",
    roles=ROLES["webhooks.redeliver"],
    errors=(404, 409),
    tags=("webhooks",),
)
def redeliver(delivery_id, principal):
    retry_for = timedelta(seconds=current_app.config["SETTINGS"].webhook_retry_for_seconds)
    return jsonify(endpoints.wire_delivery(endpoints.redeliver(delivery_id, principal, retry_for))), 202
