"""What slot and booking queries and mutations take."""

from __future__ import annotations

import graphene

from ..core.scalars import Date, ScarTypeCode
from .types import BookingStatus, Fitzpatrick


def screening_fields() -> dict:
    """The answers screening reads: the three it needs, and the optional assessment."""
    return {
        "fitzpatrick_skin_type": Fitzpatrick(required=True, description="Skin type."),
        "isotretinoin_last6_months": graphene.Boolean(
            required=True, description="Took oral isotretinoin in the last 6 months."
        ),
        "active_acne": graphene.Boolean(required=True, description="Has active acne."),
        "scar_types": graphene.List(
            graphene.NonNull(ScarTypeCode),
            description="The patient's scar types, if assessed: screening warns when the package treats others.",
        ),
        "acne_treated_before": graphene.Boolean(
            description="Acne was treated before (antibiotics, isotretinoin, light)."
        ),
        "isotretinoin_last_taken": Date(description="When oral isotretinoin was last taken, if ever (more precise)."),
        "topical_care_tried": graphene.List(
            graphene.NonNull(graphene.String),
            description="Topical care already tried, as procedure codes (e.g. TOPICAL_RETINOID, AZELAIC_ACID).",
        ),
    }


PatientInput = type(
    "PatientInput",
    (graphene.InputObjectType,),
    {
        "__doc__": "The patient and the screening answers; the assessment (scar types, acne history, topical care) "
        "is optional.",
        "name": graphene.String(required=True, description="Full name."),
        "email": graphene.String(required=True, description="Email."),
        "nationality": graphene.String(required=True, description="ISO 3166-1 alpha-2, e.g. US."),
        "preferred_language": graphene.String(required=True, description="ISO 639-1, e.g. en."),
        "home_time_zone": graphene.String(required=True, description="IANA time zone, e.g. America/New_York."),
        **screening_fields(),
    },
)
ScreeningAnswersInput = type(
    "ScreeningAnswersInput",
    (graphene.InputObjectType,),
    {"__doc__": "The patient's answers that screening reads, and the optional assessment.", **screening_fields()},
)


class BookingFilter(graphene.InputObjectType):
    """Filters over the caller's own bookings."""

    status = BookingStatus(description="Only this status.")
    clinic = graphene.String(description="Only this clinic.")


class SlotStatus(graphene.Enum):
    """Whether a slot can still be booked."""

    FREE = "FREE"
    BUSY = "BUSY"
    CLOSED = "CLOSED"


class SlotFilter(graphene.InputObjectType):
    """Which of a clinic's slots."""

    from_ = Date(required=True, name="from", description="First Seoul date.")
    to = Date(required=True, description="Last Seoul date (at most 400 days after from, and after today).")
    status = SlotStatus(description="FREE (a seat left), BUSY (full) or CLOSED; all when omitted.")


class TripInput(graphene.InputObjectType):
    """One trip of the patient to Korea."""

    arrive = Date(required=True, description="The Seoul date the patient arrives.")
    depart = Date(required=True, description="The Seoul date the patient leaves.")


TRAVEL = (
    "The patient's trips, when known (at most 10): each visit must fall inside one, after its arrival day, with the "
    "package's minimum stay after it before the departure; TRIP_TOO_SHORT names each visit that does not fit."
)


def travel_wire(input: dict) -> dict:
    """The trips of an input as the bookings service takes them (nothing when none were given)."""
    if not input.get("travel"):
        return {}
    return {"travel": [{"arrive": t["arrive"].isoformat(), "depart": t["depart"].isoformat()} for t in input["travel"]]}


class CreateBookingInput(graphene.InputObjectType):
    """What to book."""

    quote_id = graphene.ID(description="A quote from createQuote, not expired (not needed with holdId).")
    slot_id = graphene.ID(description="A slot from availability, for the first visit (or give holdId).")
    hold_id = graphene.ID(
        description="A hold from holdVisits: the booking takes its seats (instead of quoteId and slots)."
    )
    later_slot_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        description="The slots of the later visits, in order (visitOptions proposes them): a seat of every one "
        "is taken, or none. Left out, each later visit takes the earliest free slot inside the package's window "
        "after the visit before it, or the booking is refused with NO_SLOT_IN_WINDOW.",
    )
    patient = PatientInput(required=True, description="The patient and the screening answers.")
    idempotency_key = graphene.String(
        required=True, description="Your key for this booking: retrying with it never books twice."
    )
    travel = graphene.List(graphene.NonNull(TripInput), description=TRAVEL)


class OpenSlotsInput(graphene.InputObjectType):
    """A rule: these weekdays, at these Seoul times, from one date to another."""

    clinic = graphene.String(required=True, description="Your clinic's slug.")
    package_id = graphene.ID(description="For this package; any package of the clinic when omitted.")
    from_ = Date(required=True, name="from", description="First date.")
    to = Date(required=True, description="Last date.")
    weekdays = graphene.List(graphene.NonNull(graphene.String), required=True, description="MON ... SUN.")
    times = graphene.List(graphene.NonNull(graphene.String), required=True, description="HH:MM, Seoul time.")
    capacity = graphene.Int(required=True, description="Seats per slot.")
    duration_minutes = graphene.Int(description="Length; 60 when omitted.")


class HoldVisitsInput(graphene.InputObjectType):
    """What to hold: a quote and the slot of every visit, in order."""

    quote_id = graphene.ID(required=True, description="A quote from createQuote.")
    slot_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="Every visit's slot, in order (visitOptions proposes them).",
    )
    idempotency_key = graphene.String(
        required=True, description="Your key for this hold: retrying with it never holds twice."
    )
    travel = graphene.List(graphene.NonNull(TripInput), description=TRAVEL)


class RescheduleFollowUpInput(graphene.InputObjectType):
    """Which follow-up of a booking moves, and to which slot (in person) or call (remote video)."""

    reference = graphene.String(required=True, description="Booking reference.")
    follow_up = graphene.Int(required=True, description="The follow-up to move, from 1.")
    slot_id = graphene.ID(
        description="For an in-person follow-up: the slot it moves to, the booking's clinic's, inside its window."
    )
    start = graphene.String(
        description="For a remote video follow-up: the start of one of the clinic's calls inside its window, "
        "ISO 8601 with an offset."
    )
    reason = graphene.String(description="Why, recorded in the history.")
    idempotency_key = graphene.String(
        required=True, description="Your key for this move: retrying with it replays the first answer."
    )


class RescheduleVisitInput(graphene.InputObjectType):
    """Which visit of a booking moves, and to which slot."""

    reference = graphene.String(required=True, description="Booking reference.")
    visit = graphene.Int(required=True, description="The visit to move, from 1.")
    slot_id = graphene.ID(
        required=True, description="The slot it moves to: the booking's clinic's, inside the package's window."
    )
    reason = graphene.String(description="Why, recorded in the history.")
    idempotency_key = graphene.String(
        required=True, description="Your key for this move: retrying with it replays the first answer."
    )


class AcceptProposedChangeInput(graphene.InputObjectType):
    """Which visit's proposed change the agency accepts, and which alternative."""

    reference = graphene.String(required=True, description="Booking reference.")
    visit = graphene.Int(required=True, description="The visit whose change the clinic proposed, from 1.")
    slot_id = graphene.ID(required=True, description="One of the alternatives proposed for it (proposedChange).")
    reason = graphene.String(description="A note, recorded in the history.")
    idempotency_key = graphene.String(
        required=True, description="Your key for this answer: retrying with it replays the first answer."
    )


class DeclineProposedChangeInput(graphene.InputObjectType):
    """Which visit's proposed change the agency declines."""

    reference = graphene.String(required=True, description="Booking reference.")
    visit = graphene.Int(required=True, description="The visit whose change the clinic proposed, from 1.")
    reason = graphene.String(description="Why, recorded in the history.")
    idempotency_key = graphene.String(
        required=True, description="Your key for this answer: retrying with it replays the first answer."
    )


class CloseClinicDayInput(graphene.InputObjectType):
    """A clinic's Seoul day to close."""

    clinic = graphene.String(required=True, description="The clinic's slug (your own).")
    date = Date(required=True, description="The Seoul date whose open slots close.")
    reason = graphene.String(description="Why, recorded in each affected booking's history.")
