"""The catalogue service: clinics, procedures and scar types."""

from __future__ import annotations

from ..context import Json, RequestContext
from . import page, segment

SERVICE = "catalogue"
PAGE = 100


async def clinics_by_slug(ctx: RequestContext, slugs: list[str], lang: str) -> list[Json | None]:
    """The clinics in the order asked, None for unknown ones (one call for up to 100)."""
    answer = await ctx.call(
        SERVICE,
        "GET",
        "/clinics",
        public=True,
        params={"ids": ",".join(slugs), "lang": lang},
        holds=[f"clinic:{slug}" for slug in slugs],
    )
    return answer["items"]


async def clinic_page(
    ctx: RequestContext,
    filters: Json,
    lang: str,
    *,
    limit: int,
    sort: str | None = None,
    cursor: str | None = None,
    total: bool = True,
) -> Json:
    """A page of clinics matching the catalogue's filters."""
    params = {**filters, "lang": lang, **page(limit, sort=sort, cursor=cursor, total="true" if total else None)}
    return await ctx.call(SERVICE, "GET", "/clinics", params=params)


async def clinic_slugs(ctx: RequestContext, filters: Json, at_most: int) -> list[str]:
    """The slugs of the clinics matching ``filters``, page by page, at most ``at_most``."""
    slugs: list[str] = []
    cursor = None
    while len(slugs) < at_most:
        found = await clinic_page(ctx, filters, "en", limit=PAGE, cursor=cursor, total=False)
        slugs += [clinic["slug"] for clinic in found["items"]]
        cursor = found["nextCursor"]
        if not cursor:
            break
    return slugs


async def clinics_offering(ctx: RequestContext, procedure: str, lang: str) -> list[Json]:
    """Up to 100 clinics offering a procedure."""
    return (await clinic_page(ctx, {"procedure": procedure}, lang, limit=PAGE, total=False))["items"]


async def create_clinic(ctx: RequestContext, body: Json) -> Json:
    return await ctx.call(SERVICE, "POST", "/clinics", json=body, touches=[f"clinic:{body.get('slug')}"])


async def update_clinic(ctx: RequestContext, slug: str, body: Json) -> Json:
    return await ctx.call(SERVICE, "PATCH", f"/clinics/{segment(slug)}", json=body, touches=[f"clinic:{slug}"])


async def procedures_by_code(ctx: RequestContext, codes: list[str], lang: str) -> list[Json | None]:
    answer = await ctx.call(
        SERVICE,
        "GET",
        "/procedures",
        public=True,
        params={"ids": ",".join(codes), "lang": lang},
        holds=[f"procedure:{code}" for code in codes],
    )
    return answer["items"]


async def procedures(
    ctx: RequestContext, lang: str, scar_types: list[str] | None = None, active_acne: bool = False
) -> list[Json]:
    """Every procedure of the knowledge base, or those indicated for any of ``scar_types`` (and, with
    ``active_acne``, the treatments of active acne first)."""
    params = {
        "limit": PAGE,
        "lang": lang,
        **({"scarType": ",".join(scar_types)} if scar_types else {}),
        **({"activeAcne": "true"} if active_acne else {}),
    }
    return (await ctx.call(SERVICE, "GET", "/procedures", params=params))["items"]


async def scar_types(ctx: RequestContext, lang: str) -> list[Json]:
    return (await ctx.call(SERVICE, "GET", "/scar-types", params={"lang": lang}))["items"]
