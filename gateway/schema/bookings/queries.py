"""Reading slots and bookings, and screening a patient before booking."""

from __future__ import annotations

import graphene
from graphql import GraphQLError

from services.common.wire import plain

from ...clients import bookings
from ..core.connections import MAX_FIRST, connection, require_first
from ..core.scalars import Date, FollowUpKind
from ..core.wire import ctx, to_wire
from .inputs import BookingFilter, ScreeningAnswersInput, SlotFilter
from .loaders import BookingByReferenceLoader
from .types import Booking, BookingConnection, Screening, Slot, SlotConnection, VisitPlan


class BookingQueries(graphene.ObjectType):
    availability = graphene.List(
        graphene.NonNull(Slot),
        required=True,
        description="The first 100 bookable slots of a package between two Seoul dates (at most 400 days), by start.",
        deprecation_reason="Use availableSlots, which pages (first, after) and counts (totalCount); see CHANGELOG.md.",
        package_id=graphene.ID(required=True, description="The package."),
        from_=Date(required=True, name="from", description="First Seoul date."),
        to=Date(required=True, description="Last Seoul date."),
    )
    available_slots = graphene.Field(
        SlotConnection,
        required=True,
        description="Slots of a package between two Seoul dates (at most 400 days) from which its whole plan can be "
        "booked: every later visit's seat inside its window, with interpreterLanguage an interpreter free for "
        "every visit, and with followUpKind the first follow-up of its plan of that kind (none when it has no such "
        "plan). By start, a page at a time.",
        package_id=graphene.ID(required=True, description="The package."),
        from_=Date(required=True, name="from", description="First Seoul date."),
        to=Date(required=True, description="Last Seoul date."),
        interpreter_language=graphene.String(
            description="The language the patient needs an interpreter in, at every visit (ISO 639-1)."
        ),
        follow_up_kind=FollowUpKind(
            description="The follow-up plan wanted, by kind: its first follow-up must be reservable too (an "
            "in-person seat, or a remote call in the clinic's consultation hours, in its window)."
        ),
        first=graphene.Int(required=True, description="Page size, 1-100."),
        after=graphene.String(description="Cursor to continue after."),
    )
    slots = graphene.Field(
        SlotConnection,
        required=True,
        description="A clinic's own slots, full and closed ones too, by start (its admins; platform admins "
        "name the clinic).",
        clinic=graphene.String(description="The clinic; a clinic admin's own when omitted."),
        filter=SlotFilter(required=True, description="Dates and status."),
        first=graphene.Int(required=True, description="Page size, 1-100."),
        after=graphene.String(description="Cursor to continue after."),
    )
    booking = graphene.Field(
        Booking, description="One of your bookings.", reference=graphene.String(required=True, description="Reference.")
    )
    bookings = graphene.Field(
        BookingConnection,
        required=True,
        description="Your bookings, newest first.",
        filter=BookingFilter(description="Filters."),
        first=graphene.Int(required=True, description="Page size, 1-100."),
        after=graphene.String(description="Cursor to continue after."),
    )
    visit_options = graphene.Field(
        VisitPlan,
        required=True,
        description="For a quote and the slot of its first visit: the earliest free slot of each later visit inside "
        "the package's visit window after the visit before it (with an interpreter free for it, when the quote has an "
        "interpreter language), and the trips they make.",
        quote_id=graphene.ID(required=True, description="A quote from createQuote."),
        first_slot_id=graphene.ID(required=True, description="The slot of the first visit, from availability."),
    )
    screening = graphene.Field(
        Screening,
        required=True,
        description="What the patient's answers trigger for a quoted package, without booking: a frontend "
        "shows the warnings, and a refusal, before the booking is sent.",
        quote_id=graphene.ID(required=True, description="A quote from createQuote."),
        answers=ScreeningAnswersInput(required=True, description="The patient's screening answers."),
    )

    async def resolve_visit_options(root, info, quote_id, first_slot_id):
        return await bookings.visit_options(ctx(info), quote_id, first_slot_id)

    async def resolve_available_slots(
        root, info, package_id, from_, to, first, after=None, interpreter_language=None, follow_up_kind=None
    ):
        page = await bookings.availability(
            ctx(info),
            package_id,
            from_.isoformat(),
            to.isoformat(),
            limit=require_first(first),
            cursor=after,
            language=interpreter_language,
            follow_up=plain(follow_up_kind),
        )
        return connection(page)

    async def resolve_availability(root, info, package_id, from_, to):
        page = await bookings.availability(ctx(info), package_id, from_.isoformat(), to.isoformat(), limit=MAX_FIRST)
        return page["items"]

    async def resolve_slots(root, info, filter, first, clinic=None, after=None):
        principal = ctx(info).principal
        clinic = clinic or (principal.clinic if principal else None)
        if not clinic:
            raise GraphQLError(
                "Name the clinic whose slots to list.", extensions={"code": "BAD_USER_INPUT", "argument": "clinic"}
            )
        page = await bookings.slots(
            ctx(info),
            clinic,
            filter["from_"].isoformat(),
            filter["to"].isoformat(),
            plain(filter.get("status")),
            limit=require_first(first),
            cursor=after,
        )
        return connection(page)

    async def resolve_booking(root, info, reference):
        return await BookingByReferenceLoader.of(info).load(reference)

    async def resolve_bookings(root, info, first, filter=None, after=None):
        filters = {key: plain(value) for key, value in (filter or {}).items() if value is not None}
        return connection(await bookings.booking_page(ctx(info), filters, limit=require_first(first), cursor=after))

    async def resolve_screening(root, info, quote_id, answers):
        return await bookings.screen(ctx(info), quote_id, to_wire(dict(answers)))
