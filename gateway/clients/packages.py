"""The packages service: packages, search, exchange rates and quotes."""

from __future__ import annotations

from ..context import Json, RequestContext
from . import page, segment

SERVICE = "packages"


async def packages_by_id(ctx: RequestContext, ids: list[str], lang: str) -> list[Json | None]:
    """The packages in the order asked, None for unknown ones or drafts the caller may not see."""
    answer = await ctx.call(
        SERVICE,
        "GET",
        "/packages",
        public=True,
        params={"ids": ",".join(ids), "lang": lang},
        holds=[f"package:{ident}" for ident in ids],
    )
    return answer["items"]


async def package_prices(ctx: RequestContext, keys: list[tuple[str, int]], currency: str) -> list[Json | None]:
    """Each package's base price and price per visit at a version (id, version), as the packages service
    prices them in ``currency`` (Money's fields), in the order asked; None for unknown ones or drafts the
    caller may not see."""
    ids = [ident for ident, _ in keys]
    answer = await ctx.call(
        SERVICE,
        "GET",
        "/packages/prices",
        public=True,
        params={"ids": ",".join(ids), "versions": ",".join(str(v) for _, v in keys), "currency": currency},
        holds=[*(f"package:{ident}" for ident in ids), "rates"],
    )
    rate = {"currency": answer["currency"], "rate": answer["exchangeRate"]["krwPerUnit"]}
    rate["as_of"] = answer["exchangeRate"]["asOf"]
    return [
        None if item is None else {name: {**item[name], **rate} for name in ("price", "pricePerSession")}
        for item in answer["items"]
    ]


async def search(
    ctx: RequestContext,
    filters: Json,
    lang: str,
    *,
    limit: int,
    sort: str | None = None,
    cursor: str | None = None,
    total: bool = True,
) -> Json:
    """A page of packages matching ``filters`` (the search contract's names)."""
    body = {**filters, "lang": lang, **page(limit, sort=sort, cursor=cursor, total=True if total else None)}
    return await ctx.call(SERVICE, "POST", "/packages/search", json=body)


async def compare(ctx: RequestContext, ids: list[str], options: Json, lang: str) -> Json:
    """Packages side by side: each one's total with the chosen options, in KRW and a currency."""
    return await ctx.call(SERVICE, "POST", "/packages/compare", json={"ids": ids, **options}, params={"lang": lang})


async def event_page(ctx: RequestContext, after: int, types: list[str] | None, limit: int) -> Json:
    """The caller's package events after ``after``, in order."""
    params: dict[str, str | int] = {"after": after, "limit": limit}
    if types:
        params["types"] = ",".join(types)
    return await ctx.call(SERVICE, "GET", "/events", params=params)


async def exchange_rates(ctx: RequestContext) -> Json:
    return await ctx.call(SERVICE, "GET", "/exchange-rates", public=True, holds=["rates"])


async def replace_rates(ctx: RequestContext, body: Json) -> Json:
    return await ctx.call(SERVICE, "PUT", "/exchange-rates", json=body, touches=["rates"])


async def create_package(ctx: RequestContext, body: Json, lang: str) -> Json:
    return await ctx.call(SERVICE, "POST", "/packages", json=body, params={"lang": lang})


async def update_package(ctx: RequestContext, package_id: str, body: Json, lang: str) -> Json:
    return await ctx.call(
        SERVICE,
        "PATCH",
        f"/packages/{segment(package_id)}",
        json=body,
        params={"lang": lang},
        touches=[f"package:{package_id}"],
    )


async def change_status(ctx: RequestContext, package_id: str, action: str, lang: str) -> Json:
    """``action``: publish or archive."""
    return await ctx.call(
        SERVICE,
        "POST",
        f"/packages/{segment(package_id)}/{segment(action)}",
        params={"lang": lang},
        touches=[f"package:{package_id}"],
    )


async def create_quote(ctx: RequestContext, package_id: str, body: Json, lang: str) -> Json:
    return await ctx.call(SERVICE, "POST", f"/packages/{segment(package_id)}/quotes", json=body, params={"lang": lang})


async def quote(ctx: RequestContext, quote_id: str, lang: str) -> Json:
    return await ctx.call(SERVICE, "GET", f"/quotes/{segment(quote_id)}", params={"lang": lang})
