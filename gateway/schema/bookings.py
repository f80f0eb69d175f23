"""Availability, bookings, their lifecycle and care plans."""
from __future__ import annotations

import graphene
from graphql import GraphQLError

from services.common.validation import IDEMPOTENCY_KEY

from ..upstream import ServiceFailure
from .common import (
    Date,
    DateTime,
    Money,
    MutationError,
    WireObject,
    business_errors,
    connection,
    connection_type,
    ctx,
    lang_arg,
    money_from_lines,
    outcome,
    payload_type,
    require_first,
)
from .packages import CancellationPolicy, Slot

BookingStatus = graphene.Enum("BookingStatus", [(s, s) for s in ("PENDING", "BOOKED", "ARRIVED", "FULFILLED", "CANCELLED", "NOSHOW")],
                              description="FHIR Appointment-like status.")
Fitzpatrick = graphene.Enum("FitzpatrickSkinType", [(s, s) for s in ("I", "II", "III", "IV", "V", "VI")],
                            description="Fitzpatrick skin type; IV-VI are darker skin.")


class Patient(WireObject):
    """The patient; visible only to the agency that booked and the clinic that treats."""

    name = graphene.String(required=True, description="Full name.")
    email = graphene.String(required=True, description="Email.")
    nationality = graphene.String(required=True, description="ISO 3166-1 alpha-2.")
    preferred_language = graphene.String(required=True, description="ISO 639-1.")
    home_time_zone = graphene.String(required=True, description="IANA time zone.")
    fitzpatrick_skin_type = graphene.Field(Fitzpatrick, required=True, description="Skin type.")
    isotretinoin_last6_months = graphene.Boolean(required=True, description="Took oral isotretinoin in the last 6 months.")
    active_acne = graphene.Boolean(required=True, description="Has active acne.")

    def resolve_isotretinoin_last6_months(root, info):
        return root["isotretinoinLast6Months"]


class PatientInput(graphene.InputObjectType):
    """The patient and the screening answers."""

    name = graphene.String(required=True, description="Full name.")
    email = graphene.String(required=True, description="Email.")
    nationality = graphene.String(required=True, description="ISO 3166-1 alpha-2, e.g. US.")
    preferred_language = graphene.String(required=True, description="ISO 639-1, e.g. en.")
    home_time_zone = graphene.String(required=True, description="IANA time zone, e.g. America/New_York.")
    fitzpatrick_skin_type = Fitzpatrick(required=True, description="Skin type.")
    isotretinoin_last6_months = graphene.Boolean(required=True, description="Took oral isotretinoin in the last 6 months.")
    active_acne = graphene.Boolean(required=True, description="Has active acne.")


class Warning_(graphene.ObjectType):
    class Meta:
        name = "ScreeningWarning"
        description = "A caution the patient's answers trigger."

    code = graphene.String(required=True, description="DARKER_SKIN_PIH, RECENT_ISOTRETINOIN or ACTIVE_ACNE.")
    text = graphene.String(required=True, description="Why.")


class Refund(WireObject):
    """What a cancellation refunds, from the booking's copy of the policy."""

    percent = graphene.Int(required=True, description="Percent refunded.")
    days_before = graphene.Int(required=True, description="Days before the first visit it was cancelled.")
    amount = graphene.Field(Money, required=True, description="The refund.")

    def resolve_amount(root, info):
        return money_from_lines(root, root["currency"], root["krwPerUnit"], root["rateAsOf"])


class HistoryEntry(WireObject):
    """A status change."""

    from_ = graphene.Field(BookingStatus, name="from", description="Status before (null at creation).")
    to = graphene.Field(BookingStatus, required=True, description="Status after.")
    at = DateTime(required=True, description="When.")
    by = graphene.String(required=True, description="Who (an API key id).")
    reason = graphene.String(description="Why, when given.")

    def resolve_from_(root, info):
        return root["from"]


class Moment(WireObject):
    """A time in Seoul and at the patient's home."""

    seoul = graphene.String(required=True, description="Seoul time with its offset.")
    home = graphene.String(required=True, description="The patient's home time with its offset.")


class CarePlanEvent(WireObject):
    """One dated step of the care plan."""

    kind = graphene.String(required=True, description="PREPARATION, VISIT, RECOVERY or FOLLOW_UP.")
    code = graphene.String(required=True, description="Stable code of the step.")
    title = graphene.String(required=True, description="What it is.")
    detail = graphene.String(description="More about it.")
    visit = graphene.Int(description="The visit it belongs to, if any.")
    start = graphene.Field(Moment, required=True, description="When it starts.")
    end = graphene.Field(Moment, description="When it ends, if it lasts.")


class Trip(WireObject):
    """A trip to Korea."""

    arrive_by = Date(required=True, description="Arrive by this Seoul date.")
    depart_from = Date(required=True, description="Leave no earlier than this Seoul date.")
    visits = graphene.List(graphene.NonNull(graphene.Int), required=True, description="Visits during the trip.")


class CarePlan(WireObject):
    """The dated plan the patient travels by."""

    lang = graphene.String(required=True, description="The language its texts are in (ISO 639-1).")
    home_time_zone = graphene.String(required=True, description="The patient's time zone.")
    trips_needed = graphene.Int(required=True, description="Trips to Korea.")
    minimum_stay_days = graphene.Int(required=True, description="Days to stay after each visit.")
    trips = graphene.List(graphene.NonNull(Trip), required=True, description="The trips.")
    events = graphene.List(graphene.NonNull(CarePlanEvent), required=True, description="Every step, in time order.")
    ical = graphene.String(required=True, description="The same plan as an iCalendar (.ics) document.")

    async def resolve_ical(root, info):
        return await ctx(info).call("bookings", "GET", f"/bookings/{root['reference']}/care-plan.ics", accept="text/calendar",
                                    params={"lang": root["lang"]})


class Booking(WireObject):
    """A reservation of a package version into a slot for a patient."""

    reference = graphene.String(required=True, description="Reference, e.g. CB-7KQ2M9XD.")
    status = graphene.Field(BookingStatus, required=True, description="Status.")
    clinic = graphene.String(required=True, description="Clinic slug.")
    agency = graphene.String(required=True, description="The agency that booked.")
    package_id = graphene.ID(required=True, description="Package id.")
    package_version = graphene.Int(required=True, description="The package version booked.")
    package_title = graphene.String(required=True, description="Its title.")
    slot_start = graphene.String(required=True, description="First visit, Seoul time.")
    slot_start_home = graphene.String(required=True, description="First visit, the patient's home time.")
    patient = graphene.Field(Patient, required=True, description="The patient.")
    interpreter_language = graphene.String(description="Interpreter, if chosen.")
    follow_up_plan = graphene.String(description="Follow-up plan, if chosen.")
    total = graphene.Field(Money, required=True, description="The locked price.")
    cancellation_policy = graphene.Field(CancellationPolicy, required=True, description="The policy it was booked under.")
    warnings = graphene.List(graphene.NonNull(Warning_), required=True, description="Screening warnings.")
    refund = graphene.Field(Refund, description="The refund, once cancelled.")
    history = graphene.List(graphene.NonNull(HistoryEntry), required=True, description="Every status change.")
    care_plan = graphene.Field(CarePlan, required=True, lang=lang_arg(), description="The dated care plan, its texts in the language asked for.")

    def resolve_slot_start(root, info):
        return root["slot"]["start"]

    def resolve_slot_start_home(root, info):
        return root["slot"]["startHome"]

    def resolve_total(root, info):
        price = root["price"]
        return money_from_lines(price["total"], price["currency"], price["krwPerUnit"], price["rateAsOf"])

    async def resolve_care_plan(root, info, lang=None):
        return await ctx(info).call("bookings", "GET", f"/bookings/{root['reference']}/care-plan",
                                    params={"lang": lang or ctx(info).lang})


BookingConnection = connection_type(Booking, "booking", "bookings")


class BookingFilter(graphene.InputObjectType):
    """Filters over the caller's own bookings."""

    status = BookingStatus(description="Only this status.")
    clinic = graphene.String(description="Only this clinic.")


SlotConnection = connection_type(Slot, "slot", "slots")


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


class BookingQueries(graphene.ObjectType):
    availability = graphene.Field(SlotConnection, required=True,
                                  description="Bookable slots of a package between two Seoul dates (at most 400 days), by start.",
                                  package_id=graphene.ID(required=True, description="The package."),
                                  from_=Date(required=True, name="from", description="First Seoul date."),
                                  to=Date(required=True, description="Last Seoul date."),
                                  first=graphene.Int(required=True, description="Page size, 1-100."),
                                  after=graphene.String(description="Cursor to continue after."))
    slots = graphene.Field(SlotConnection, required=True,
                           description="A clinic's own slots, full and closed ones too, by start (its admins; platform admins "
                                       "name the clinic).",
                           clinic=graphene.String(description="The clinic; a clinic admin's own when omitted."),
                           filter=SlotFilter(required=True, description="Dates and status."),
                           first=graphene.Int(required=True, description="Page size, 1-100."),
                           after=graphene.String(description="Cursor to continue after."))
    booking = graphene.Field(Booking, description="One of your bookings.", reference=graphene.String(required=True, description="Reference."))
    bookings = graphene.Field(BookingConnection, required=True, description="Your bookings, newest first.",
                              filter=BookingFilter(description="Filters."), first=graphene.Int(required=True, description="Page size, 1-100."),
                              after=graphene.String(description="Cursor to continue after."))

    async def resolve_availability(root, info, package_id, from_, to, first, after=None):
        params = {"packageId": package_id, "from": from_.isoformat(), "to": to.isoformat(), "limit": require_first(first),
                  "total": "true", **({"cursor": after} if after else {})}
        return connection(await ctx(info).call("bookings", "GET", "/availability", params=params))

    async def resolve_slots(root, info, filter, first, clinic=None, after=None):
        principal = ctx(info).principal
        clinic = clinic or (principal.clinic if principal else None)
        if not clinic:
            raise GraphQLError("Name the clinic whose slots to list.", extensions={"code": "BAD_USER_INPUT", "argument": "clinic"})
        params = {"clinic": clinic, "from": filter["from_"].isoformat(), "to": filter["to"].isoformat(),
                  "limit": require_first(first), "total": "true", **({"cursor": after} if after else {})}
        if filter.get("status"):
            params["status"] = getattr(filter["status"], "value", filter["status"])
        return connection(await ctx(info).call("bookings", "GET", "/slots", params=params))

    async def resolve_booking(root, info, reference):
        return await ctx(info).loader("booking").load(reference)

    async def resolve_bookings(root, info, first, filter=None, after=None):
        params = {"limit": require_first(first), "total": "true"}
        for key, value in (filter or {}).items():
            if value is not None:
                params[key] = getattr(value, "value", value)
        if after:
            params["cursor"] = after
        return connection(await ctx(info).call("bookings", "GET", "/bookings", params=params))


BookingPayload = payload_type("BookingPayload", "booking", Booking, "booking", "The booking, or why it was refused.",
                              "Business errors (e.g. SLOT_FULL).")


class CreateBookingInput(graphene.InputObjectType):
    """What to book."""

    quote_id = graphene.ID(required=True, description="A quote from createQuote, not expired.")
    slot_id = graphene.ID(required=True, description="A slot from availability.")
    patient = PatientInput(required=True, description="The patient and the screening answers.")
    idempotency_key = graphene.String(required=True, description="Your key for this booking: retrying with it never books twice.")


def _booking_call(info, method: str, path: str, **kwargs):
    return outcome("booking", ctx(info).call("bookings", method, path, **kwargs))


class CreateBookingPayload(graphene.ObjectType):
    """The booking made (or made before, for a retry with the same idempotencyKey), or why it was refused."""

    booking = graphene.Field(Booking, description="The booking as it is now.")
    replayed = graphene.Boolean(required=True, description="True when this answer replays the booking made by an earlier "
                                                           "request with the same idempotencyKey: nothing new was booked.")
    errors = graphene.List(graphene.NonNull(MutationError), required=True, description="Business errors (e.g. SLOT_FULL).")


class CreateBooking(graphene.Mutation):
    """Book a quote into a slot for a patient (agencies). Returns screening warnings; a blocking answer is refused."""

    class Arguments:
        input = CreateBookingInput(required=True, description="What to book.")

    Output = CreateBookingPayload

    async def mutate(root, info, input):
        if not IDEMPOTENCY_KEY.match(input["idempotency_key"]):
            return {"booking": None, "replayed": False, "errors": [
                {"field": "idempotencyKey", "code": "VALIDATION_FAILED", "message": "1-255 visible ASCII characters"}]}
        patient = {camel: input["patient"][snake] for snake, camel in (
            ("name", "name"), ("email", "email"), ("nationality", "nationality"), ("preferred_language", "preferredLanguage"),
            ("home_time_zone", "homeTimeZone"), ("isotretinoin_last6_months", "isotretinoinLast6Months"), ("active_acne", "activeAcne"))}
        patient["fitzpatrickSkinType"] = str(getattr(input["patient"]["fitzpatrick_skin_type"], "value",
                                                     input["patient"]["fitzpatrick_skin_type"]))
        body = {"quoteId": input["quote_id"], "slotId": input["slot_id"], "patient": patient}
        try:
            booking, headers = await ctx(info).call("bookings", "POST", "/bookings", json=body, with_headers=True,
                                                    headers={"Idempotency-Key": input["idempotency_key"]})
        except ServiceFailure as failure:
            return {"booking": None, "replayed": False, "errors": business_errors(failure)}
        return {"booking": booking, "replayed": headers.get("Idempotent-Replayed") == "true", "errors": []}


def _transition(action: str, description: str):
    class Transition(graphene.Mutation):
        class Arguments:
            reference = graphene.String(required=True, description="Booking reference.")
            reason = graphene.String(description="Why, recorded in the history.")

        Output = BookingPayload

        async def mutate(root, info, reference, reason=None):
            return await _booking_call(info, "POST", f"/bookings/{reference}/{action}", json={"reason": reason} if reason else {})

    Transition.__doc__ = description
    return Transition


CancelBooking = type("CancelBooking", (_transition("cancel", "Cancel a booking: the seat is freed and the refund computed."),), {})
ConfirmBooking = type("ConfirmBooking", (_transition("confirm", "The clinic confirms a requested booking."),), {})
MarkArrived = type("MarkArrived", (_transition("arrive", "The patient has arrived."),), {})
MarkFulfilled = type("MarkFulfilled", (_transition("fulfill", "The visit took place."),), {})
MarkNoShow = type("MarkNoShow", (_transition("no-show", "The patient did not come."),), {})


class BookingMutations(graphene.ObjectType):
    create_booking = CreateBooking.Field(description="Book a quote into a slot (agencies).")
    cancel_booking = CancelBooking.Field(description="Cancel a booking (its agency or clinic).")
    confirm_booking = ConfirmBooking.Field(description="Confirm a booking (its clinic).")
    mark_arrived = MarkArrived.Field(description="Mark the patient arrived (its clinic).")
    mark_fulfilled = MarkFulfilled.Field(description="Mark the visit done (its clinic).")
    mark_no_show = MarkNoShow.Field(description="Mark a no-show (its clinic).")
