"""Agencies and clinic admins manage their webhook endpoints; a delivery can be sent again."""

from __future__ import annotations

import graphene

from services.common.access import ROLES

from ...clients import webhooks
from ..core.payloads import described, error_type, outcome, payload_type
from ..core.wire import ctx, to_wire
from .inputs import CreateWebhookInput, UpdateWebhookInput
from .types import Webhook, WebhookDelivery, WebhookWithSecret

WebhookError = error_type("WebhookError", "webhooks", "webhook")
WebhookPayload = payload_type(
    "WebhookPayload", "webhook", Webhook, "endpoint", "The endpoint, or why not.", WebhookError
)
WebhookSecretPayload = payload_type(
    "WebhookSecretPayload",
    "created",
    WebhookWithSecret,
    "endpoint and its signing secret (shown only now)",
    "The endpoint with its new signing secret, or why not.",
    WebhookError,
    "Business errors (e.g. URL_NOT_ALLOWED, naming url).",
)
DeleteWebhookPayload = payload_type(
    "DeleteWebhookPayload",
    "deleted_id",
    graphene.ID,
    "deleted endpoint's id",
    "The id deleted, or why not.",
    WebhookError,
)
RedeliverPayload = payload_type(
    "RedeliverWebhookPayload",
    "delivery",
    WebhookDelivery,
    "delivery, queued again",
    "The delivery, or why not.",
    WebhookError,
)


def _with_secret(answer: dict) -> dict:
    return {"webhook": answer, "secret": answer["secret"]}


class CreateWebhook(graphene.Mutation):
    """Create an endpoint for your agency or clinic."""

    class Arguments:
        input = CreateWebhookInput(required=True, description="The endpoint.")

    Output = WebhookSecretPayload

    async def mutate(root, info, input):
        return await outcome("created", webhooks.create_webhook(ctx(info), to_wire(dict(input))), _with_secret)


class RotateWebhookSecret(graphene.Mutation):
    """A new signing secret; for a day deliveries carry signatures by the old and the new one."""

    class Arguments:
        id = graphene.ID(required=True, description="The endpoint.")

    Output = WebhookSecretPayload

    async def mutate(root, info, id):
        return await outcome("created", webhooks.rotate_secret(ctx(info), id), _with_secret)


class UpdateWebhook(graphene.Mutation):
    """Change an endpoint, pause it, or make it active again."""

    class Arguments:
        id = graphene.ID(required=True, description="The endpoint.")
        input = UpdateWebhookInput(required=True, description="What changes.")

    Output = WebhookPayload

    async def mutate(root, info, id, input):
        return await outcome("webhook", webhooks.update_webhook(ctx(info), id, to_wire(dict(input))))


class DeleteWebhook(graphene.Mutation):
    """Delete an endpoint: nothing more is sent to it."""

    class Arguments:
        id = graphene.ID(required=True, description="The endpoint.")

    Output = DeleteWebhookPayload

    async def mutate(root, info, id):
        return await outcome("deleted_id", webhooks.delete_webhook(ctx(info), id), lambda _: id)


class RedeliverWebhook(graphene.Mutation):
    """Send a delivery again now; its retries start over."""

    class Arguments:
        delivery_id = graphene.ID(required=True, description="The delivery (from webhookDeliveries).")

    Output = RedeliverPayload

    async def mutate(root, info, delivery_id):
        return await outcome("delivery", webhooks.redeliver(ctx(info), delivery_id))


class WebhookMutations(graphene.ObjectType):
    create_webhook = CreateWebhook.Field(
        description=described(
            "Create a webhook endpoint; the answer shows its signing secret, this once.", ROLES["webhooks.manage"]
        )
    )
    update_webhook = UpdateWebhook.Field(
        description=described("Change, pause or re-enable a webhook endpoint.", ROLES["webhooks.manage"])
    )
    rotate_webhook_secret = RotateWebhookSecret.Field(
        description=described("Give a webhook endpoint a new signing secret.", ROLES["webhooks.manage"])
    )
    delete_webhook = DeleteWebhook.Field(description=described("Delete a webhook endpoint.", ROLES["webhooks.manage"]))
    redeliver_webhook = RedeliverWebhook.Field(
        description=described("Send a webhook delivery again now.", ROLES["webhooks.redeliver"])
    )
