"""Events, webhook endpoints and their deliveries."""

from __future__ import annotations

import graphene

from services.common.validation import contract_enum

from ..core.wire import WireObject

BOOKING_EVENTS = contract_enum("bookings/defs", "eventType")
PACKAGE_EVENTS = contract_enum("packages/defs", "eventType")

EventType = graphene.Enum(
    "EventType",
    [(t.upper().replace(".", "_"), t) for t in (*BOOKING_EVENTS, *PACKAGE_EVENTS)],
    description="What happened: " + ", ".join((*BOOKING_EVENTS, *PACKAGE_EVENTS)) + ".",
)


class EventResource(WireObject):
    """What an event is about."""

    type = graphene.String(required=True, description="booking, hold or package.")
    id = graphene.String(required=True, description="Its reference (a booking) or id (a hold, a package).")


class Event(WireObject):
    """One change, told once, with the resource's state after it. A webhook delivery carries the same
    fields in its JSON body, and the same id in its webhook-id header."""

    id = graphene.ID(required=True, description="The event's id: deduplicate on it.")
    type = graphene.Field(EventType, required=True, description="What happened.")
    at = graphene.String(required=True, description="When (UTC, ISO 8601).")
    resource = graphene.Field(EventResource, required=True, description="What it is about.")
    data = graphene.JSONString(
        required=True,
        description="The resource's state after the change (a booking: reference, status, visits, refund; a package: "
        "id, clinic, status, version, title, priceKrw) and the change's details (visit; from and to for a move).",
    )


class EventPage(graphene.ObjectType):
    """A page of the event feed."""

    events = graphene.List(graphene.NonNull(Event), required=True, description="The events, in order.")
    cursor = graphene.String(required=True, description="Pass as after for the next page (or the next poll).")
    more = graphene.Boolean(required=True, description="The feed goes on past the cursor: ask again at once.")


WebhookState = graphene.Enum(
    "WebhookState",
    [(s, s) for s in contract_enum("webhooks/defs", "endpointState")],
    description="ACTIVE: events are sent. FAILING: a delivery failed for the whole retry period (24 hours); nothing "
    "is sent until its owner enables it again. DISABLED: paused by its owner.",
)
DeliveryState = graphene.Enum(
    "WebhookDeliveryState",
    [(s, s) for s in contract_enum("webhooks/defs", "deliveryState")],
    description="PENDING: to be sent (again). DELIVERED: the endpoint answered 2xx. FAILED: retries ran out.",
)


class WebhookOwner(WireObject):
    """Whose endpoint it is."""

    kind = graphene.String(required=True, description="agency or clinic.")
    id = graphene.String(required=True, description="The agency's or clinic's slug.")


class WebhookFailure(WireObject):
    """Why an endpoint is failing."""

    at = graphene.String(required=True, description="When the last retry failed (UTC, ISO 8601).")
    reason = graphene.String(
        required=True, description="The last attempt's outcome (Answered 503., No answer in time.)."
    )
    delivery_id = graphene.ID(required=True, description="The delivery whose retries ran out.")


class Webhook(WireObject):
    """An endpoint events are POSTed to, signed as Standard Webhooks says."""

    id = graphene.ID(required=True, description="The endpoint's id.")
    owner = graphene.Field(WebhookOwner, required=True, description="Whose endpoint it is.")
    url = graphene.String(required=True, description="Where events are sent.")
    description = graphene.String(description="The owner's note.")
    events = graphene.List(graphene.NonNull(EventType), required=True, description="The event types it takes.")
    state = graphene.Field(WebhookState, required=True, description="Whether events are sent to it.")
    failure = graphene.Field(WebhookFailure, description="Why it is failing, while it is.")
    secret_rotated_at = graphene.String(required=True, description="When its signing secret was made (UTC).")
    created_at = graphene.String(required=True, description="When it was created (UTC).")
    updated_at = graphene.String(required=True, description="When it last changed (UTC).")


class WebhookPage(graphene.ObjectType):
    """A page of webhook endpoints, newest first."""

    webhooks = graphene.List(graphene.NonNull(Webhook), required=True, description="The endpoints.")
    next_cursor = graphene.String(description="Pass as after for the next page; null at the end.")


class WebhookWithSecret(graphene.ObjectType):
    """An endpoint and its signing secret, shown this once: keep it to verify deliveries."""

    webhook = graphene.Field(Webhook, required=True, description="The endpoint.")
    secret = graphene.String(required=True, description="The signing secret (whsec_...): shown only now.")


class WebhookAttempt(WireObject):
    """One request of a delivery, and how it went."""

    at = graphene.String(required=True, description="When it was made (UTC).")
    status = graphene.Int(description="The HTTP status of the answer; null when there was none.")
    error = graphene.String(
        description="Why it failed (Answered 503., No answer in time., Could not connect.); null when it succeeded."
    )
    duration_ms = graphene.Int(description="How long the request took, in milliseconds; null when none was sent.")


class WebhookDelivery(WireObject):
    """One event sent to one endpoint: its attempts and their outcome."""

    id = graphene.ID(required=True, description="The delivery's id (pass it to redeliverWebhook).")
    webhook_id = graphene.ID(required=True, description="The endpoint.")
    event_id = graphene.ID(required=True, description="The event: the webhook-id header of every attempt.")
    event_type = graphene.Field(EventType, required=True, description="The event's type.")
    state = graphene.Field(DeliveryState, required=True, description="Where it stands.")
    attempts = graphene.Int(required=True, description="Requests made so far.")
    last_status = graphene.Int(description="The HTTP status of the last answer.")
    last_error = graphene.String(description="Why the last attempt failed; null once an attempt succeeded.")
    last_attempt_at = graphene.String(description="When the last attempt was made (UTC).")
    history = graphene.List(
        graphene.NonNull(WebhookAttempt),
        required=True,
        description="Every attempt, oldest first (the last 20): what happened each time.",
    )
    next_attempt_at = graphene.String(description="When it is sent next, while pending (UTC).")
    delivered_at = graphene.String(description="When the endpoint accepted it (UTC).")
    retry_until = graphene.String(required=True, description="Retries stop here (UTC).")
    created_at = graphene.String(required=True, description="When the event was queued for the endpoint (UTC).")


class WebhookDeliveryPage(graphene.ObjectType):
    """A page of an endpoint's deliveries, newest first (kept 30 days)."""

    deliveries = graphene.List(graphene.NonNull(WebhookDelivery), required=True, description="The deliveries.")
    next_cursor = graphene.String(description="Pass as after for the next page; null at the end.")
