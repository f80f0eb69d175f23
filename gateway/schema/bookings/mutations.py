"""Booking a quote into a slot, each step of the lifecycle, and clinics' slots."""

from __future__ import annotations

import graphene

from services.common import lifecycle
from services.common.access import ROLES
from services.common.validation import IDEMPOTENCY_KEY

from ...clients import bookings
from ...upstream import ServiceFailure
from ..core.payloads import business_errors, described, error_type, outcome, payload_type
from ..core.wire import ctx, to_wire
from .inputs import CreateBookingInput, OpenSlotsInput
from .types import Booking, Slot

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
        if not IDEMPOTENCY_KEY.match(input["idempotency_key"]):
            return {
                "booking": None,
                "replayed": False,
                "errors": [
                    {
                        "field": "idempotencyKey",
                        "code": "VALIDATION_FAILED",
                        "message": "1-255 visible ASCII characters",
                    }
                ],
            }
        body = {"quoteId": input["quote_id"], "slotId": input["slot_id"], "patient": to_wire(dict(input["patient"]))}
        if input.get("later_slot_ids"):
            body["laterSlotIds"] = list(input["later_slot_ids"])
        try:
            booking, replayed = await bookings.create_booking(ctx(info), body, input["idempotency_key"])
        except ServiceFailure as failure:
            return {"booking": None, "replayed": False, "errors": business_errors(failure)}
        return {"booking": booking, "replayed": replayed, "errors": []}


def step_mutation(step: lifecycle.Step) -> type[graphene.Mutation]:
    """The mutation of one lifecycle step."""

    class Arguments:
        reference = graphene.String(required=True, description="Booking reference.")
        reason = graphene.String(description="Why, recorded in the history.")

    async def mutate(root, info, reference, reason=None):
        return await outcome("booking", bookings.take_step(ctx(info), reference, step.action, reason))

    name = step.mutation[0].upper() + step.mutation[1:]
    return type(
        name,
        (graphene.Mutation,),
        {"__doc__": step.summary, "Arguments": Arguments, "Output": BookingPayload, "mutate": mutate},
    )


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
    """Close a slot to new bookings."""

    class Arguments:
        id = graphene.ID(required=True, description="Slot id.")

    Output = SlotPayload

    async def mutate(root, info, id):
        return await outcome("slot", bookings.close_slot(ctx(info), id))


STEPS = {step.mutation: step_mutation(step) for step in lifecycle.STEPS}

BookingMutations = type(
    "BookingMutations",
    (graphene.ObjectType,),
    {
        "create_booking": CreateBooking.Field(
            description=described("Book a quote into a slot.", ROLES["bookings.create"])
        ),
        **{
            step.mutation: STEPS[step.mutation].Field(description=described(step.summary, step.roles))
            for step in lifecycle.STEPS
        },
    },
)


class SlotMutations(graphene.ObjectType):
    open_slots = OpenSlots.Field(description=described("Open slots from a rule.", ROLES["slots.write"]))
    close_slot = CloseSlot.Field(description=described("Close a slot.", ROLES["slots.write"]))
