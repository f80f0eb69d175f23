"""Booking a quote into a slot, each step of the lifecycle, and clinics' slots."""

from __future__ import annotations

import graphene

from services.common import lifecycle
from services.common.access import ROLES
from services.common.validation import IDEMPOTENCY_KEY

from ...clients import bookings
from ...upstream import ServiceFailure
from ..core.payloads import business_errors, described, error_type, outcome, payload_type
from ..core.wire import WireObject, ctx, to_wire
from .inputs import (
    AcceptProposedChangeInput,
    CloseClinicDayInput,
    CreateBookingInput,
    DeclineProposedChangeInput,
    HoldVisitsInput,
    OpenSlotsInput,
    RescheduleFollowUpInput,
    RescheduleVisitInput,
    travel_wire,
)
from .types import BookedVisit, Booking, FollowUp, Slot

BookingError = error_type("BookingError", "bookings", "booking")
BookingPayload = payload_type(
    "BookingPayload",
    "booking",
    Booking,
    "booking",
    "The booking, or why it was refused.",
    BookingError,
    "Business errors (e.g. SLOT_FULL).",
)
SlotPayload = payload_type("SlotPayload", "slot", Slot, "slot", "The slot, or why not.", BookingError)


def _bad_key(key: str) -> list[dict]:
    """The error of an idempotency key the services would refuse (checked here: it travels as a header)."""
    if IDEMPOTENCY_KEY.match(key):
        return []
    return [{"field": "idempotencyKey", "code": "VALIDATION_FAILED", "message": "1-255 visible ASCII characters"}]


class CreateBookingPayload(graphene.ObjectType):
    """The booking made (or made before, for a retry with the same idempotencyKey), or why it was refused."""

    booking = graphene.Field(Booking, description="The booking as it is now.")
    replayed = graphene.Boolean(
        required=True,
        description="True when this answer replays the booking made by an earlier "
        "request with the same idempotencyKey: nothing new was booked.",
    )
    errors = graphene.List(
        graphene.NonNull(BookingError), required=True, description="Business errors (e.g. SLOT_FULL)."
    )


class CreateBooking(graphene.Mutation):
    """Book a quote into a slot for a patient (agencies). Returns screening warnings; a blocking answer is refused."""

    class Arguments:
        input = CreateBookingInput(required=True, description="What to book.")

    Output = CreateBookingPayload

    async def mutate(root, info, input):
        if refused := _bad_key(input["idempotency_key"]):
            return {"booking": None, "replayed": False, "errors": refused}
        body = {"patient": to_wire(dict(input["patient"])), **travel_wire(input)}
        for field, name in (
            ("quote_id", "quoteId"),
            ("slot_id", "slotId"),
            ("hold_id", "holdId"),
            ("later_slot_ids", "laterSlotIds"),
        ):
            if input.get(field):
                body[name] = input[field]
        try:
            booking, replayed = await bookings.create_booking(ctx(info), body, input["idempotency_key"])
        except ServiceFailure as failure:
            return {"booking": None, "replayed": False, "errors": business_errors(failure)}
        return {"booking": booking, "replayed": replayed, "errors": []}


class Hold(WireObject):
    """Seats of every visit held for the booking to come."""

    id = graphene.ID(required=True, description="Pass as createBooking's holdId.")
    expires_at = graphene.String(required=True, description="When the seats go back if no booking takes them.")
    visits = graphene.List(graphene.NonNull(BookedVisit), required=True, description="The held visits, in order.")
    follow_ups = graphene.List(
        graphene.NonNull(FollowUp), required=True, description="The follow-up appointments held with them, in order."
    )


class HoldVisitsPayload(graphene.ObjectType):
    """The hold, or why the seats could not all be held."""

    hold = graphene.Field(Hold, description="The hold.")
    errors = graphene.List(
        graphene.NonNull(BookingError),
        required=True,
        description="Business errors (e.g. SLOT_FULL or VISIT_OUTSIDE_WINDOW, naming slotIds[k]).",
    )


class HoldVisits(graphene.Mutation):
    """Hold a seat of every visit's slot (all or nothing) for the booking to come (agencies)."""

    class Arguments:
        input = HoldVisitsInput(required=True, description="What to hold.")

    Output = HoldVisitsPayload

    async def mutate(root, info, input):
        if refused := _bad_key(input["idempotency_key"]):
            return {"hold": None, "errors": refused}
        body = {"quoteId": input["quote_id"], "slotIds": list(input["slot_ids"]), **travel_wire(input)}
        return await outcome("hold", bookings.hold_visits(ctx(info), body, input["idempotency_key"]), _hold_view)


def _hold_view(hold: dict) -> dict:
    return {
        "id": hold["id"],
        "expires_at": hold["expiresAt"],
        "visits": [{**visit, "startHome": visit["start"]} for visit in hold["visits"]],
        "follow_ups": hold.get("followUps", []),
    }


class ReleaseHoldPayload(graphene.ObjectType):
    """Whether the hold's seats went back."""

    released = graphene.Boolean(required=True, description="True once every seat is free again.")
    errors = graphene.List(
        graphene.NonNull(BookingError),
        required=True,
        description="Business errors (UNKNOWN_HOLD, HOLD_ALREADY_BOOKED).",
    )


class ReleaseHold(graphene.Mutation):
    """Give back every seat of a hold at once."""

    class Arguments:
        id = graphene.ID(required=True, description="The hold's id.")

    Output = ReleaseHoldPayload

    async def mutate(root, info, id):
        answer = await outcome("released", bookings.release_hold(ctx(info), id), lambda _: True)
        return {**answer, "released": bool(answer["released"])}


def step_mutation(step: lifecycle.Step) -> type[graphene.Mutation]:
    """The mutation of one lifecycle step (with a ``visit`` argument when the step is of one visit)."""

    arguments = {
        "reference": graphene.String(required=True, description="Booking reference."),
        "reason": graphene.String(description="Why, recorded in the history."),
    }
    if step.per_visit:
        arguments["visit"] = graphene.Int(
            description="Which visit, from 1; by default the first that is " + " or ".join(step.visit_sources) + "."
        )
    Arguments = type("Arguments", (), arguments)

    async def mutate(root, info, reference, reason=None, visit=None):
        return await outcome("booking", bookings.take_step(ctx(info), reference, step.action, reason, visit))

    name = step.mutation[0].upper() + step.mutation[1:]
    return type(
        name,
        (graphene.Mutation,),
        {"__doc__": step.summary, "Arguments": Arguments, "Output": BookingPayload, "mutate": mutate},
    )


class RescheduleVisit(graphene.Mutation):
    """Move one visit to another slot: its new seat is taken before the old one is given back, the reference stays,
    the history records the move and the care plan follows. Allowed until the notice period before the visit, and
    only inside the package's window from the visits before and after it."""

    class Arguments:
        input = RescheduleVisitInput(required=True, description="The visit and its new slot.")

    Output = BookingPayload

    async def mutate(root, info, input):
        if refused := _bad_key(input["idempotency_key"]):
            return {"booking": None, "errors": refused}
        body = {"slotId": input["slot_id"], **({"reason": input["reason"]} if input.get("reason") else {})}
        moved = bookings.reschedule_visit(ctx(info), input["reference"], input["visit"], body, input["idempotency_key"])
        return await outcome("booking", moved)


class RescheduleFollowUp(graphene.Mutation):
    """Move one follow-up: an in-person one to another slot, a remote video one to another of the clinic's calls,
    inside its window (and the patient's trips, in person). The new time (and an interpreter for it, when the
    booking has one) is taken before the old is given back; the history records the move. A follow-up whose change
    the clinic proposed (CHANGE_PROPOSED) moves this way too, with no notice period, and is BOOKED again."""

    class Arguments:
        input = RescheduleFollowUpInput(required=True, description="The follow-up and its new time.")

    Output = BookingPayload

    async def mutate(root, info, input):
        if refused := _bad_key(input["idempotency_key"]):
            return {"booking": None, "errors": refused}
        body = {
            key: input[name]
            for key, name in (("slotId", "slot_id"), ("start", "start"), ("reason", "reason"))
            if input.get(name) is not None
        }
        moved = bookings.reschedule_follow_up(
            ctx(info), input["reference"], input["follow_up"], body, input["idempotency_key"]
        )
        return await outcome("booking", moved)


class AcceptProposedChange(graphene.Mutation):
    """Accept one of the alternatives the clinic proposed for a CHANGE_PROPOSED visit: the visit moves there as a
    reschedule moves it (its new seat, and an interpreter then, taken before the old ones go back), with no notice
    period since the clinic caused it, and is BOOKED again under the same reference."""

    class Arguments:
        input = AcceptProposedChangeInput(required=True, description="The visit and the alternative accepted.")

    Output = BookingPayload

    async def mutate(root, info, input):
        if refused := _bad_key(input["idempotency_key"]):
            return {"booking": None, "errors": refused}
        body = {"slotId": input["slot_id"], **({"reason": input["reason"]} if input.get("reason") else {})}
        accepted = bookings.accept_proposed_change(
            ctx(info), input["reference"], input["visit"], body, input["idempotency_key"]
        )
        return await outcome("booking", accepted)


class DeclineProposedChange(graphene.Mutation):
    """Decline the change the clinic proposed for a CHANGE_PROPOSED visit: the visit is cancelled with a full refund
    of its share of the price (its refund), its seat and interpreter given back; the booking is cancelled once no
    visit is left."""

    class Arguments:
        input = DeclineProposedChangeInput(required=True, description="The visit whose change is declined.")

    Output = BookingPayload

    async def mutate(root, info, input):
        if refused := _bad_key(input["idempotency_key"]):
            return {"booking": None, "errors": refused}
        body = {"reason": input["reason"]} if input.get("reason") else {}
        declined = bookings.decline_proposed_change(
            ctx(info), input["reference"], input["visit"], body, input["idempotency_key"]
        )
        return await outcome("booking", declined)


def mark_follow_up_mutation(target: str, action: str) -> type[graphene.Mutation]:
    """The mutation that marks a follow-up ``target`` (HELD or MISSED)."""

    class Arguments:
        reference = graphene.String(required=True, description="Booking reference.")
        follow_up = graphene.Int(required=True, description="Which follow-up, from 1.")
        reason = graphene.String(description="Why, recorded in the history.")

    async def mutate(root, info, reference, follow_up, reason=None):
        return await outcome("booking", bookings.mark_follow_up(ctx(info), reference, follow_up, action, reason))

    return type(
        f"MarkFollowUp{action.capitalize()}",
        (graphene.Mutation,),
        {
            "__doc__": f"Mark a reserved follow-up of a confirmed booking {target.lower()}: BOOKED → {target}.",
            "Arguments": Arguments,
            "Output": BookingPayload,
            "mutate": mutate,
        },
    )


MarkFollowUpHeld = mark_follow_up_mutation("HELD", "held")
MarkFollowUpMissed = mark_follow_up_mutation("MISSED", "missed")


class OpenSlotsPayload(graphene.ObjectType):
    """The slots opened."""

    slots = graphene.List(graphene.NonNull(Slot), required=True, description="New slots.")
    created = graphene.Int(required=True, description="How many were opened.")
    skipped = graphene.Int(required=True, description="How many existed already.")
    errors = graphene.List(
        graphene.NonNull(BookingError),
        required=True,
        description="Business errors; SLOT_IN_PAST for each time of the rule that has already passed.",
    )


class OpenSlots(graphene.Mutation):
    """Open slots from a rule (the clinic's admins)."""

    class Arguments:
        input = OpenSlotsInput(required=True, description="The rule.")

    Output = OpenSlotsPayload

    async def mutate(root, info, input):
        rule = to_wire({k: v for k, v in dict(input).items() if k not in ("from_", "to")})
        rule.update({"from": input["from_"].isoformat(), "to": input["to"].isoformat()})
        try:
            answer = await bookings.open_slots(ctx(info), rule)
        except ServiceFailure as failure:
            return {"slots": [], "created": 0, "skipped": 0, "errors": business_errors(failure)}
        passed = [
            {"field": e["field"], "message": e["message"], "code": "SLOT_IN_PAST"} for e in answer.get("errors", [])
        ]
        return {"slots": answer["items"], "created": answer["created"], "skipped": answer["skipped"], "errors": passed}


class CloseSlot(graphene.Mutation):
    """Close a slot to new bookings; the visits booked on it get a proposed change (CHANGE_PROPOSED)."""

    class Arguments:
        id = graphene.ID(required=True, description="Slot id.")

    Output = SlotPayload

    async def mutate(root, info, id):
        return await outcome("slot", bookings.close_slot(ctx(info), id))


class ClinicDayClosed(WireObject):
    """A clinic's day closed: its open slots, and the changes proposed for the visits booked on them."""

    clinic = graphene.String(required=True, description="The clinic's slug.")
    date = graphene.String(required=True, description="The Seoul date closed.")
    slots_closed = graphene.Int(required=True, description="The open slots that day, now closed.")
    visits_proposed = graphene.Int(
        required=True, description="The visits booked on them, now CHANGE_PROPOSED with alternatives."
    )
    bookings_affected = graphene.Int(required=True, description="The bookings those visits belong to.")


ClinicDayPayload = payload_type(
    "CloseClinicDayPayload", "closed", ClinicDayClosed, "day", "The day closed, or why not.", BookingError
)


class CloseClinicDay(graphene.Mutation):
    """Close every open slot of a clinic on a Seoul day, then propose a change for every visit booked on them
    (visit.change_proposed), as closing each slot would."""

    class Arguments:
        input = CloseClinicDayInput(required=True, description="The clinic and the day.")

    Output = ClinicDayPayload

    async def mutate(root, info, input):
        body = {"date": input["date"].isoformat(), **({"reason": input["reason"]} if input.get("reason") else {})}
        return await outcome("closed", bookings.close_clinic_day(ctx(info), input["clinic"], body))


STEPS = {step.mutation: step_mutation(step) for step in lifecycle.STEPS}

BookingMutations = type(
    "BookingMutations",
    (graphene.ObjectType,),
    {
        "create_booking": CreateBooking.Field(
            description=described("Book a quote into a slot.", ROLES["bookings.create"])
        ),
        "hold_visits": HoldVisits.Field(
            description=described("Hold every visit's seat for a while, all or nothing.", ROLES["bookings.create"])
        ),
        "release_hold": ReleaseHold.Field(description=described("Give back a hold's seats.", ROLES["bookings.create"])),
        "reschedule_visit": RescheduleVisit.Field(
            description=described(
                "Move one visit of a booking to another slot (TOO_LATE_TO_RESCHEDULE within the notice period, "
                "VISIT_OUTSIDE_WINDOW when it would break the window).",
                ROLES["bookings.reschedule"],
            )
        ),
        "reschedule_follow_up": RescheduleFollowUp.Field(
            description=described(
                "Move one follow-up to another slot (in person) or call (remote video) inside its window "
                "(FOLLOW_UP_OUTSIDE_WINDOW outside it, FOLLOW_UP_UNAVAILABLE when another booking holds it); one whose "
                "change the clinic proposed (CHANGE_PROPOSED) at any time before it, BOOKED again.",
                ROLES["bookings.reschedule"],
            )
        ),
        "accept_proposed_change": AcceptProposedChange.Field(
            description=described(
                "Accept an alternative the clinic proposed for a visit (ALTERNATIVE_NOT_OFFERED for another slot; "
                "SLOT_FULL or SLOT_CLOSED when it was taken or closed since; when the alternatives listed went stale, "
                "the message says new alternatives are offered and proposedChange lists them). The clinic's admins "
                "may not decide for the patient.",
                ROLES["bookings.decide_change"],
            )
        ),
        "decline_proposed_change": DeclineProposedChange.Field(
            description=described(
                "Decline a change the clinic proposed for a visit: the visit is cancelled with a full refund of its "
                "share. The clinic's admins may not decide for the patient.",
                ROLES["bookings.decide_change"],
            )
        ),
        "mark_follow_up_held": MarkFollowUpHeld.Field(
            description=described("Mark a follow-up held.", ROLES["follow_ups.mark"])
        ),
        "mark_follow_up_missed": MarkFollowUpMissed.Field(
            description=described("Mark a follow-up missed.", ROLES["follow_ups.mark"])
        ),
        **{
            step.mutation: STEPS[step.mutation].Field(description=described(step.summary, step.roles))
            for step in lifecycle.STEPS
        },
    },
)


class SlotMutations(graphene.ObjectType):
    open_slots = OpenSlots.Field(description=described("Open slots from a rule.", ROLES["slots.write"]))
    close_slot = CloseSlot.Field(
        description=described(
            "Close a slot. Each visit booked on it becomes CHANGE_PROPOSED with alternatives for its agency.",
            ROLES["slots.write"],
        )
    )
    close_clinic_day = CloseClinicDay.Field(
        description=described(
            "Close every open slot of your clinic on a Seoul day; each visit booked on them becomes CHANGE_PROPOSED.",
            ROLES["slots.write"],
        )
    )
