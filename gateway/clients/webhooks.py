"""The webhooks service: partners' endpoints and their deliveries."""

from __future__ import annotations

from ..context import Json, RequestContext
from . import page, segment

SERVICE = "webhooks"


async def create_webhook(ctx: RequestContext, body: Json) -> Json:
    """The new endpoint, with its signing secret (this once)."""
    return await ctx.call(SERVICE, "POST", "/webhooks", json=body)


async def webhook_page(ctx: RequestContext, state: str | None, limit: int, cursor: str | None) -> Json:
    params = {**page(limit, cursor=cursor, total=None), **({"state": state} if state else {})}
    return await ctx.call(SERVICE, "GET", "/webhooks", params=params)


async def webhook(ctx: RequestContext, webhook_id: str) -> Json:
    return await ctx.call(SERVICE, "GET", f"/webhooks/{segment(webhook_id)}")


async def update_webhook(ctx: RequestContext, webhook_id: str, changes: Json) -> Json:
    return await ctx.call(SERVICE, "PATCH", f"/webhooks/{segment(webhook_id)}", json=changes)


async def rotate_secret(ctx: RequestContext, webhook_id: str) -> Json:
    """The endpoint, with its new signing secret (this once)."""
    return await ctx.call(SERVICE, "POST", f"/webhooks/{segment(webhook_id)}/rotate-secret")


async def delete_webhook(ctx: RequestContext, webhook_id: str) -> None:
    await ctx.call(SERVICE, "DELETE", f"/webhooks/{segment(webhook_id)}")


async def deliveries(ctx: RequestContext, webhook_id: str, limit: int, cursor: str | None) -> Json:
    params = page(limit, cursor=cursor, total=None)
    return await ctx.call(SERVICE, "GET", f"/webhooks/{segment(webhook_id)}/deliveries", params=params)


async def redeliver(ctx: RequestContext, delivery_id: str) -> Json:
    return await ctx.call(SERVICE, "POST", f"/deliveries/{segment(delivery_id)}/redeliver")
