"""Reading the event feed, webhook endpoints and their deliveries."""

from __future__ import annotations

import graphene

from services.common.wire import plain

from ...clients import webhooks
from ...upstream import ServiceFailure
from ..core.connections import require_first
from ..core.wire import ctx
from . import feed
from .types import EventPage, EventType, Webhook, WebhookDeliveryPage, WebhookPage, WebhookState


def _webhook_page(answer: dict) -> dict:
    return {"webhooks": answer["items"], "next_cursor": answer["nextCursor"]}


class EventQueries(graphene.ObjectType):
    events = graphene.Field(
        EventPage,
        required=True,
        description="Your events after a cursor, in order, each once, with the same ids as their webhook deliveries: "
        "an agency's bookings' and holds', a clinic's bookings' and packages', packages' as agencies see them, or all "
        "for a platform admin. A partner who was away catches up from its last cursor without gaps or duplicates; a "
        "page reads a bounded part of the log, so continue while more is true.",
        after=graphene.String(description="The cursor of the last page; from the start when omitted."),
        types=graphene.List(graphene.NonNull(EventType), description="Only these types."),
        first=graphene.Int(required=True, description="Page size, 1-100."),
    )
    webhooks = graphene.Field(
        WebhookPage,
        required=True,
        description="Your webhook endpoints, newest first; every endpoint for a platform admin, who may ask for the "
        "failing ones.",
        state=graphene.Argument(WebhookState, description="Only endpoints in this state (platform admins)."),
        first=graphene.Int(required=True, description="Page size, 1-100."),
        after=graphene.String(description="Cursor to continue after."),
    )
    webhook = graphene.Field(
        Webhook, description="One of your webhook endpoints.", id=graphene.ID(required=True, description="Its id.")
    )
    webhook_deliveries = graphene.Field(
        WebhookDeliveryPage,
        required=True,
        description="An endpoint's deliveries, newest first (kept 30 days): state, attempts, the last answer's status "
        "and time.",
        webhook_id=graphene.ID(required=True, description="The endpoint."),
        first=graphene.Int(required=True, description="Page size, 1-100."),
        after=graphene.String(description="Cursor to continue after."),
    )

    async def resolve_events(root, info, first, after=None, types=None):
        return await feed.page(ctx(info), after, [plain(t) for t in types] if types else None, require_first(first))

    async def resolve_webhooks(root, info, first, state=None, after=None):
        answer = await webhooks.webhook_page(ctx(info), plain(state) if state else None, require_first(first), after)
        return _webhook_page(answer)

    async def resolve_webhook(root, info, id):
        try:
            return await webhooks.webhook(ctx(info), id)
        except ServiceFailure as failure:
            if failure.status == 404:
                return None
            raise

    async def resolve_webhook_deliveries(root, info, webhook_id, first, after=None):
        answer = await webhooks.deliveries(ctx(info), webhook_id, require_first(first), after)
        return {"deliveries": answer["items"], "next_cursor": answer["nextCursor"]}
