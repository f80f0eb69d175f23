"""The bookings service: slots, availability, bookings, their lifecycle, screening and care plans."""

from __future__ import annotations

from ..context import Json, RequestContext
from . import page, segment

SERVICE = "bookings"


async def bookings_by_reference(ctx: RequestContext, references: list[str]) -> list[Json | None]:
    return (await ctx.call(SERVICE, "GET", "/bookings", params={"ids": ",".join(references)}))["items"]


async def booking_page(ctx: RequestContext, filters: dict[str, str], *, limit: int, cursor: str | None = None) -> Json:
    return await ctx.call(SERVICE, "GET", "/bookings", params={**filters, **page(limit, cursor=cursor)})


async def next_free_slots(
    ctx: RequestContext, keys: list[tuple[str, str, str | None, str | None]]
) -> list[Json | None]:
    """For each (package id, clinic, interpreter language or None, follow-up kind or None): the earliest slot
    its whole plan can be booked from, or None."""
    asked = [
        {
            "packageId": package_id,
            "clinic": clinic,
            **({"language": language} if language else {}),
            **({"followUp": follow_up} if follow_up else {}),
        }
        for package_id, clinic, language, follow_up in keys
    ]
    body = {"packages": asked}
    return (await ctx.call(SERVICE, "POST", "/availability/next", json=body))["items"]


async def availability(
    ctx: RequestContext,
    package_id: str,
    first: str,
    last: str,
    *,
    limit: int,
    cursor: str | None = None,
    language: str | None = None,
    follow_up: str | None = None,
) -> Json:
    """The slots a package's whole plan can be booked from (with an interpreter in ``language`` at every visit,
    and the first follow-up of its plan of the kind ``follow_up``)."""
    params = {
        "packageId": package_id,
        "from": first,
        "to": last,
        **({"language": language} if language else {}),
        **({"followUp": follow_up} if follow_up else {}),
    }
    return await ctx.call(SERVICE, "GET", "/availability", params={**params, **page(limit, cursor=cursor)})


async def slots(
    ctx: RequestContext,
    clinic: str,
    first: str,
    last: str,
    status: str | None,
    *,
    limit: int,
    cursor: str | None = None,
) -> Json:
    params = {"clinic": clinic, "from": first, "to": last, **({"status": status} if status else {})}
    return await ctx.call(SERVICE, "GET", "/slots", params={**params, **page(limit, cursor=cursor)})


async def open_slots(ctx: RequestContext, rule: Json) -> Json:
    return await ctx.call(SERVICE, "POST", "/slots/bulk", json=rule, touches=[f"slots:{rule.get('clinic')}"])


async def close_slot(ctx: RequestContext, slot_id: str) -> Json:
    return await ctx.call(SERVICE, "POST", f"/slots/{segment(slot_id)}/close", touches=[f"slot:{slot_id}"])


async def close_clinic_day(ctx: RequestContext, clinic: str, body: Json) -> Json:
    """Close every open slot of a clinic on a Seoul day, proposing changes for the visits booked on them."""
    return await ctx.call(SERVICE, "POST", f"/clinics/{segment(clinic)}/close-day", json=body)


async def visit_options(ctx: RequestContext, quote_id: str, first_slot_id: str) -> Json:
    """Each later visit's earliest free slot inside the package's window, the trips and the first follow-up."""
    return await ctx.call(SERVICE, "POST", "/visit-options", json={"quoteId": quote_id, "firstSlotId": first_slot_id})


async def trip_fit(
    ctx: RequestContext, package_ids: list[str], arrive: str, depart: str, language: str | None = None
) -> list[Json | None]:
    """For each package, in order: whether its first trip's visits can be booked inside the trip (with an
    interpreter in ``language`` free for each)."""
    body = {
        "packageIds": package_ids,
        "arrive": arrive,
        "depart": depart,
        **({"language": language} if language else {}),
    }
    answer = await ctx.call(SERVICE, "POST", "/availability/trip", json=body)
    return answer["items"]


async def event_page(ctx: RequestContext, after: int, types: list[str] | None, limit: int) -> Json:
    """The caller's booking events after ``after``, in order."""
    params: dict[str, str | int] = {"after": after, "limit": limit}
    if types:
        params["types"] = ",".join(types)
    return await ctx.call(SERVICE, "GET", "/events", params=params)


async def screen(ctx: RequestContext, quote_id: str, answers: Json) -> Json:
    """What the patient's screening answers would trigger for the quoted package, without booking."""
    return await ctx.call(SERVICE, "POST", "/screening", json={"quoteId": quote_id, "answers": answers})


async def create_booking(ctx: RequestContext, body: Json, idempotency_key: str) -> tuple[Json, bool]:
    """The booking, and whether it replays one made before with the same key."""
    booking, headers = await ctx.call(
        SERVICE, "POST", "/bookings", json=body, with_headers=True, headers={"Idempotency-Key": idempotency_key}
    )
    return booking, headers.get("Idempotent-Replayed") == "true"


async def hold_visits(ctx: RequestContext, body: Json, idempotency_key: str) -> Json:
    return await ctx.call(SERVICE, "POST", "/holds", json=body, headers={"Idempotency-Key": idempotency_key})


async def release_hold(ctx: RequestContext, hold_id: str) -> None:
    await ctx.call(SERVICE, "POST", f"/holds/{segment(hold_id)}/release")


async def take_step(
    ctx: RequestContext, reference: str, action: str, reason: str | None, visit: int | None = None
) -> Json:
    """One step of the lifecycle (``action`` is the step's route), of one visit when ``visit`` is given."""
    body: Json = {"reason": reason} if reason else {}
    if visit is not None:
        body["visit"] = visit
    return await ctx.call(SERVICE, "POST", f"/bookings/{segment(reference)}/{segment(action)}", json=body)


async def reschedule_visit(ctx: RequestContext, reference: str, visit: int, body: Json, idempotency_key: str) -> Json:
    """Move one visit of a booking to another slot."""
    return await ctx.call(
        SERVICE,
        "POST",
        f"/bookings/{segment(reference)}/visits/{segment(visit)}/reschedule",
        json=body,
        headers={"Idempotency-Key": idempotency_key},
    )


async def reschedule_follow_up(
    ctx: RequestContext, reference: str, follow_up: int, body: Json, idempotency_key: str
) -> Json:
    """Move one follow-up of a booking to another slot or call."""
    return await ctx.call(
        SERVICE,
        "POST",
        f"/bookings/{segment(reference)}/follow-ups/{segment(follow_up)}/reschedule",
        json=body,
        headers={"Idempotency-Key": idempotency_key},
    )


async def accept_proposed_change(
    ctx: RequestContext, reference: str, visit: int, body: Json, idempotency_key: str
) -> Json:
    """Accept one of the alternatives the clinic proposed for a visit."""
    return await ctx.call(
        SERVICE,
        "POST",
        f"/bookings/{segment(reference)}/visits/{segment(visit)}/accept-change",
        json=body,
        headers={"Idempotency-Key": idempotency_key},
    )


async def decline_proposed_change(
    ctx: RequestContext, reference: str, visit: int, body: Json, idempotency_key: str
) -> Json:
    """Decline the change the clinic proposed for a visit: the visit is cancelled and refunded in full."""
    return await ctx.call(
        SERVICE,
        "POST",
        f"/bookings/{segment(reference)}/visits/{segment(visit)}/decline-change",
        json=body,
        headers={"Idempotency-Key": idempotency_key},
    )


async def mark_follow_up(ctx: RequestContext, reference: str, follow_up: int, action: str, reason: str | None) -> Json:
    """Mark one follow-up held or missed (``action``: its route)."""
    body: Json = {"reason": reason} if reason else {}
    return await ctx.call(
        SERVICE,
        "POST",
        f"/bookings/{segment(reference)}/follow-ups/{segment(follow_up)}/{segment(action)}",
        json=body,
    )


async def care_plan(ctx: RequestContext, reference: str, lang: str) -> Json:
    return await ctx.call(SERVICE, "GET", f"/bookings/{segment(reference)}/care-plan", params={"lang": lang})


async def care_plan_ical(ctx: RequestContext, reference: str, lang: str) -> str:
    return await ctx.call(
        SERVICE, "GET", f"/bookings/{segment(reference)}/care-plan.ics", accept="text/calendar", params={"lang": lang}
    )


async def interpreters(ctx: RequestContext, provider: str | None) -> list[Json]:
    """The interpreters of a provider the caller manages (a clinic's admins: their own by default)."""
    params = {"provider": provider} if provider else None
    return (await ctx.call(SERVICE, "GET", "/interpreters", params=params))["items"]


async def create_interpreter(ctx: RequestContext, body: Json) -> Json:
    return await ctx.call(SERVICE, "POST", "/interpreters", json=body)


async def update_interpreter(ctx: RequestContext, interpreter_id: str, body: Json) -> Json:
    return await ctx.call(SERVICE, "PATCH", f"/interpreters/{segment(interpreter_id)}", json=body)


async def providers(ctx: RequestContext, clinic: str | None) -> list[Json]:
    """The interpreter providers serving a clinic (a clinic's admins: their own), or every one."""
    params = {"clinic": clinic} if clinic else None
    return (await ctx.call(SERVICE, "GET", "/interpreter-providers", params=params))["items"]


async def create_provider(ctx: RequestContext, body: Json) -> Json:
    return await ctx.call(SERVICE, "POST", "/interpreter-providers", json=body)


async def update_provider(ctx: RequestContext, provider_id: str, body: Json) -> Json:
    return await ctx.call(SERVICE, "PATCH", f"/interpreter-providers/{segment(provider_id)}", json=body)


async def consultation_hours(ctx: RequestContext, clinic: str) -> Json:
    """A clinic's consultation hours for remote video follow-ups."""
    return await ctx.call(SERVICE, "GET", f"/clinics/{segment(clinic)}/consultation-hours")


async def set_consultation_hours(ctx: RequestContext, clinic: str, body: Json) -> Json:
    return await ctx.call(SERVICE, "PUT", f"/clinics/{segment(clinic)}/consultation-hours", json=body)


# -- registrations, agreements, statements, the annual report, the visa document ----------------------------


async def record_registration(ctx: RequestContext, kind: str, party: str, body: Json) -> Json:
    """``kind``: "facilitators" (an agency) or "institutions" (a clinic)."""
    return await ctx.call(SERVICE, "PUT", f"/registrations/{segment(kind)}/{segment(party)}", json=body)


async def institution_registrations(ctx: RequestContext, clinics: list[str]) -> list[Json | None]:
    """The clinics' registrations as institutions, in order (None where there is none): public, one call."""
    answer = await ctx.call(
        SERVICE, "GET", "/registrations/institutions", public=True, params={"ids": ",".join(clinics)}
    )
    return answer["items"]


async def facilitator_registration(ctx: RequestContext, agency: str) -> Json:
    return await ctx.call(SERVICE, "GET", f"/registrations/facilitators/{segment(agency)}")


async def set_agreement(ctx: RequestContext, agency: str, clinic: str, body: Json) -> Json:
    return await ctx.call(SERVICE, "PUT", f"/agreements/{segment(agency)}/{segment(clinic)}", json=body)


async def statement(ctx: RequestContext, params: dict[str, str]) -> Json:
    return await ctx.call(SERVICE, "GET", "/statements", params=params)


async def statement_csv(ctx: RequestContext, params: dict[str, str]) -> str:
    return await ctx.call(SERVICE, "GET", "/statements.csv", params=params, accept="text/csv")


async def annual_report(ctx: RequestContext, params: dict[str, str | int]) -> Json:
    return await ctx.call(SERVICE, "GET", "/reports/annual", params=params)


async def annual_report_csv(ctx: RequestContext, params: dict[str, str | int]) -> str:
    return await ctx.call(SERVICE, "GET", "/reports/annual.csv", params=params, accept="text/csv")


async def visa_document(ctx: RequestContext, reference: str) -> bytes:
    """A confirmed booking's treatment-reservation confirmation, as PDF bytes."""
    return await ctx.call(SERVICE, "GET", f"/bookings/{segment(reference)}/visa-document", accept="application/pdf")
