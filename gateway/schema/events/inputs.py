"""What partners send to create and change webhook endpoints."""

from __future__ import annotations

import graphene

from .types import EventType


class CreateWebhookInput(graphene.InputObjectType):
    """A new endpoint."""

    url = graphene.String(
        required=True,
        description="Where events are POSTed: https, resolving to public addresses only (development also allows "
        "http and loopback).",
    )
    events = graphene.List(graphene.NonNull(EventType), required=True, description="The event types it takes.")
    description = graphene.String(description="A note for you (up to 200 characters).")


class UpdateWebhookInput(graphene.InputObjectType):
    """Changes to an endpoint; only the fields given change."""

    url = graphene.String(description="A new URL (checked as on creation).")
    events = graphene.List(graphene.NonNull(EventType), description="The event types it takes.")
    description = graphene.String(description="A note for you.")
    enabled = graphene.Boolean(description="false pauses it; true makes a paused or failing endpoint active again.")
