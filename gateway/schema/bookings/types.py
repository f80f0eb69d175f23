"""The bookings' types: slots, bookings, their history, refunds and care plans."""

from __future__ import annotations

import base64

import graphene

from services.common import lifecycle
from services.common.validation import contract_enum

from ...clients import bookings
from ..core.connections import connection_type
from ..core.language import lang_arg, language
from ..core.money import Money, money_from_lines
from ..core.scalars import CAUTION_CODES, Date, DateTime, FollowUpKind, ScarTypeCode, Source
from ..core.wire import WireObject, ctx
from ..packages.types import CancellationPolicy, VisitWindow

BookingStatus = graphene.Enum(
    "BookingStatus",
    [(s, s) for s in lifecycle.STATUSES],
    description="FHIR Appointment-like status. Once the clinic confirms, it follows from the visits: ARRIVED while "
    "the patient is at the clinic, BOOKED while a visit is still to come, FULFILLED when every visit took place or "
    "was missed (one at least took place), NOSHOW when every visit was missed.",
)
VisitStatus = graphene.Enum(
    "VisitStatus",
    [(s, s) for s in lifecycle.VISIT_STATUSES],
    description=lambda v: "A visit's own status." if v is None else lifecycle.VISIT_STATUS_DESCRIPTIONS[v.name],
)
ChangeReason = graphene.Enum(
    "ChangeReason",
    [(s, s) for s in contract_enum("bookings/defs", "changeReason")],
    description=lambda v: (
        "Why the clinic proposes a change of a visit." if v is None else lifecycle.CHANGE_REASONS[v.name]
    ),
)
FollowUpStatus = graphene.Enum(
    "FollowUpStatus",
    [(s, s) for s in contract_enum("bookings/defs", "followUpStatus")],
    description="A follow-up appointment's status: BOOKED (reserved), HELD or MISSED (marked by the clinic), "
    "CANCELLED (with its booking).",
)
Fitzpatrick = graphene.Enum(
    "FitzpatrickSkinType",
    [(s, s) for s in contract_enum("bookings/defs", "fitzpatrick")],
    description="Fitzpatrick skin type; IV-VI are darker skin.",
)


class Patient(WireObject):
    """The patient; visible only to the agency that booked and the clinic that treats."""

    name = graphene.String(required=True, description="Full name.")
    email = graphene.String(required=True, description="Email.")
    nationality = graphene.String(required=True, description="ISO 3166-1 alpha-2.")
    preferred_language = graphene.String(required=True, description="ISO 639-1.")
    home_time_zone = graphene.String(required=True, description="IANA time zone.")
    fitzpatrick_skin_type = graphene.Field(Fitzpatrick, required=True, description="Skin type.")
    isotretinoin_last6_months = graphene.Boolean(
        required=True, description="Took oral isotretinoin in the last 6 months."
    )
    active_acne = graphene.Boolean(required=True, description="Has active acne.")
    scar_types = graphene.List(graphene.NonNull(ScarTypeCode), description="Scar types, as assessed (optional).")
    acne_treated_before = graphene.Boolean(description="Acne was treated before (optional).")
    isotretinoin_last_taken = Date(description="When oral isotretinoin was last taken (optional).")
    topical_care_tried = graphene.List(
        graphene.NonNull(graphene.String), description="Topical care already tried, as procedure codes (optional)."
    )

    def resolve_isotretinoin_last6_months(root, info):
        return root["isotretinoinLast6Months"]


class Warning_(graphene.ObjectType):
    class Meta:
        name = "ScreeningWarning"
        description = "A caution the patient's answers trigger, guidance, or a reason to treat."

    code = graphene.String(required=True, description=f"A caution ({CAUTION_CODES}) or a reason's code.")
    text = graphene.String(required=True, description="Why, localized.")
    source = graphene.Field(Source, description="Where it comes from: the seed (quoted), or a rule of ours (sample).")


class Refund(WireObject):
    """What a cancellation refunds, from the booking's copy of the policy."""

    percent = graphene.Int(required=True, description="The policy's percent, applied to the visits not yet delivered.")
    days_before = graphene.Int(required=True, description="Seoul days before the next visit still to come.")
    visits_refunded = graphene.Int(
        description="The visits not yet delivered (neither fulfilled nor missed), whose equal share of the price is "
        "refunded; null for refunds recorded before visits were counted."
    )
    visits = graphene.Int(description="The package's visits, among which the price is shared equally.")
    amount = graphene.Field(Money, required=True, description="The refund.")

    def resolve_amount(root, info):
        return money_from_lines(root, root["currency"], root["krwPerUnit"], root["rateAsOf"])


class VisitMove(WireObject):
    """A visit moved to another slot."""

    from_ = graphene.String(name="from", required=True, description="Its start before, Seoul time.")
    to = graphene.String(required=True, description="Its start after, Seoul time.")
    slot_id = graphene.ID(required=True, description="Its new slot.")

    def resolve_from_(root, info):
        return root["from"]


class FollowUpChange(WireObject):
    """A follow-up changed: its status (marked held or missed), or its time (movedFrom and movedTo set)."""

    number = graphene.Int(required=True, description="Which follow-up, from 1.")
    from_ = graphene.Field(FollowUpStatus, name="from", required=True, description="Its status before.")
    to = graphene.Field(FollowUpStatus, required=True, description="Its status after.")
    moved_from = graphene.String(description="Its start before a move, Seoul time (null for a status change).")
    moved_to = graphene.String(description="Its start after a move, Seoul time (null for a status change).")

    def resolve_from_(root, info):
        return root["from"]


class VisitChange(WireObject):
    """A visit's change proposed by the clinic, then accepted or declined by the agency."""

    from_ = graphene.Field(VisitStatus, name="from", required=True, description="The visit's status before.")
    to = graphene.Field(VisitStatus, required=True, description="The visit's status after.")
    reason = graphene.Field(ChangeReason, required=True, description="Why the clinic proposed it.")

    def resolve_from_(root, info):
        return root["from"]


class HistoryEntry(WireObject):
    """A change: of the booking's status, of one visit's status (visit set), or a visit moved (moved set)."""

    from_ = graphene.Field(
        BookingStatus, name="from", description="Status before, the booking's or the visit's (null at creation)."
    )
    to = graphene.Field(BookingStatus, required=True, description="Status after, the booking's or the visit's.")
    visit = graphene.Int(description="The visit changed (from 1); null for a change of the whole booking.")
    moved = graphene.Field(VisitMove, description="Where the visit moved, for a reschedule.")
    follow_up = graphene.Field(
        FollowUpChange, description="The follow-up changed, for a follow-up's move or mark (null otherwise)."
    )
    visit_change = graphene.Field(
        VisitChange,
        description="A visit's change proposed by the clinic, accepted or declined (null for other changes).",
    )
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
    tentative = graphene.Boolean(
        required=True,
        description="True for a visit whose slot or interpreter the clinic withdrew (CHANGE_PROPOSED): it may still "
        "move or be cancelled.",
    )

    def resolve_tentative(root, info):
        return bool(root.get("tentative"))


class Trip(WireObject):
    """A trip to Korea."""

    arrive_by = Date(required=True, description="Arrive by this Seoul date.")
    depart_from = Date(required=True, description="Leave no earlier than this Seoul date.")
    visits = graphene.List(graphene.NonNull(graphene.Int), required=True, description="Visits during the trip.")
    follow_ups = graphene.List(
        graphene.NonNull(graphene.Int),
        description="In a care plan: the in-person follow-ups during the trip (a trip of its own when one falls "
        "after the visits' trips); null elsewhere.",
    )


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
        return await bookings.care_plan_ical(ctx(info), root["reference"], root["lang"])


class PatientTrip(WireObject):
    """One of the patient's trips to Korea, as given at booking."""

    arrive = Date(required=True, description="The Seoul date the patient arrives.")
    depart = Date(required=True, description="The Seoul date the patient leaves.")


class Credential(WireObject):
    """An interpreter's credential: the national medical-interpreter certificate, say."""

    name = graphene.String(required=True, description="What it certifies.")
    issuer = graphene.String(required=True, description="Who issued it.")
    number = graphene.String(description="Its number, if given.")
    expires_on = Date(description="The last day it is valid; past it, it is not valid and the interpreter not offered.")


class VisitInterpreter(WireObject):
    """The interpreter reserved for a visit: who, in which language, from which provider, with which credential."""

    id = graphene.ID(required=True, description="The interpreter.")
    name = graphene.String(required=True, description="Their name.")
    language = graphene.String(required=True, description="The language interpreted (ISO 639-1).")
    provider = graphene.String(
        description="Who they work for: the clinic's own coordinators, or an interpretation provider."
    )
    credential = graphene.Field(Credential, description="Their credential, if they have one.")


class ProposedSlot(WireObject):
    """An alternative the clinic proposes for a visit: a slot that fits the same rules as a move."""

    slot_id = graphene.ID(required=True, description="The slot: pass it to acceptProposedChange.")
    start = graphene.String(required=True, description="Its start, Seoul time with its offset.")
    start_home = graphene.String(required=True, description="Its start in the patient's home time.")
    end = graphene.String(required=True, description="Its end, Seoul time with its offset.")
    duration_minutes = graphene.Int(required=True, description="How long it lasts.")
    interpreter = graphene.Field(
        VisitInterpreter,
        description="An interpreter free then, when the booking has an interpreter language (null otherwise); the "
        "one reserved on accepting may differ if she is taken meanwhile.",
    )


class ProposedChange(WireObject):
    """A change the clinic proposes for a visit whose slot or interpreter it withdrew: the agency that booked
    accepts one alternative (acceptProposedChange) or declines (declineProposedChange, a full refund of the visit)."""

    reason = graphene.Field(ChangeReason, required=True, description="Why.")
    proposed_at = DateTime(required=True, description="When the clinic withdrew it.")
    withdrawn_slot_id = graphene.ID(required=True, description="The slot the visit had.")
    alternatives = graphene.List(
        graphene.NonNull(ProposedSlot),
        required=True,
        description="The slots the agency may accept, earliest first: inside the package's window from the visits "
        "before and after, in the patient's trips, with an interpreter when the booking has one. Empty when none "
        "fits.",
    )


class BookedVisit(WireObject):
    """A visit whose seat the booking holds."""

    number = graphene.Int(required=True, description="Which visit, from 1.")
    slot_id = graphene.ID(required=True, description="Its slot.")
    start = graphene.String(required=True, description="Seoul time with its offset.")
    start_home = graphene.String(required=True, description="The patient's home time.")
    duration_minutes = graphene.Int(description="How long it lasts (null for a held visit).")
    procedures = graphene.List(
        graphene.NonNull(graphene.String), description="The procedures done at it (codes; null for a held visit)."
    )
    status = graphene.Field(VisitStatus, description="Its own status (null for a held visit).")
    interpreter = graphene.Field(
        VisitInterpreter,
        description="The interpreter reserved for this visit, when the booking has an interpreter language "
        "(null otherwise, and for a held visit). Visible to the agency that booked and the clinic that treats.",
    )
    proposed_change = graphene.Field(
        ProposedChange,
        description="The change the clinic proposes while the visit is CHANGE_PROPOSED (null otherwise).",
    )
    refund = graphene.Field(
        Refund,
        description="The visit's own refund, its share of the price in full, once its proposed change was declined "
        "(null otherwise).",
    )


class FollowUp(WireObject):
    """A follow-up appointment reserved with the visits: in person at the clinic (a slot's seat), or a video call in
    the clinic's consultation hours after the patient's departure."""

    number = graphene.Int(required=True, description="Which follow-up, from 1.")
    kind = graphene.Field(FollowUpKind, required=True, description="IN_PERSON or REMOTE_VIDEO.")
    status = graphene.Field(FollowUpStatus, description="Its status (null for a held follow-up).")
    start = graphene.String(required=True, description="When it starts, Seoul time with its offset.")
    start_home = graphene.String(
        description="When it starts, in the patient's home time zone (null for a held follow-up: no patient yet)."
    )
    end = graphene.String(description="When it ends, Seoul time (null for a held follow-up).")
    duration_minutes = graphene.Int(required=True, description="How long it lasts.")
    slot_id = graphene.ID(description="The slot whose seat an in-person follow-up takes; null for a video call.")
    interpreter = graphene.Field(
        VisitInterpreter,
        description="The interpreter reserved for it, when the booking has an interpreter language (null otherwise).",
    )


class MessagingWindow(WireObject):
    """A messaging plan's dated window: no appointment, messages with the clinic between two Seoul dates."""

    from_ = Date(name="from", required=True, description="Its first Seoul date (the day after the last visit).")
    to = Date(required=True, description="Its last Seoul date.")
    count = graphene.Int(required=True, description="The messages the plan includes.")

    def resolve_from_(root, info):
        return root["from"]


class Commission(WireObject):
    """The agency's commission on the booking's medical fee only (the base price: not the interpreter nor the
    follow-up plan), in whole won, each amount rounded half up once; a cancellation's refund lowers it in
    proportion."""

    rate_percent = graphene.String(required=True, description="The agreement's rate, a decimal percent (0: none).")
    agreement = graphene.Boolean(required=True, description="Whether an agreement with the clinic set the rate.")
    medical_fee_krw = graphene.Int(required=True, description="The medical fee: the base price, in won.")
    refunded_medical_krw = graphene.Int(required=True, description="The medical fee's share of a refund, in won.")
    kept_medical_krw = graphene.Int(required=True, description="The medical fee less its refunded share, in won.")
    amount_krw = graphene.Int(required=True, description="The commission: rate × medical fee kept, in won.")


class VisaDocument(WireObject):
    """A confirmed booking's treatment-reservation confirmation (진료예약확인서) for the medical visa (C-3-3): one
    PDF page in Korean and English with the institution and its registration, the patient's name and
    nationality, the visits' dates, the treatment and the interpreter."""

    filename = graphene.String(required=True, description="A file name for it.")
    content_type = graphene.String(required=True, description="application/pdf.")
    base64 = graphene.String(required=True, description="The PDF, base64-encoded (RFC 4648).")


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
    visits = graphene.List(
        graphene.NonNull(BookedVisit),
        required=True,
        description="The visits whose seats the booking holds, each with its own status: every visit of the package "
        "(a booking recorded before series were reserved: its first).",
    )
    patient = graphene.Field(Patient, required=True, description="The patient.")
    travel = graphene.List(
        graphene.NonNull(PatientTrip),
        description="The patient's trips as given at booking (null when none were): every visit, moves included, "
        "fits them.",
    )
    interpreter_language = graphene.String(description="Interpreter, if chosen.")
    follow_up_plan = graphene.String(description="Follow-up plan, if chosen.")
    follow_ups = graphene.List(
        graphene.NonNull(FollowUp),
        required=True,
        description="The follow-up appointments reserved with the visits, each with its own status, in Seoul and "
        "home time (empty for a messaging plan, without a plan, or for a booking made before follow-ups were "
        "reserved).",
    )
    messaging_window = graphene.Field(
        MessagingWindow, description="A messaging plan's dated window (null for other plans, or without a plan)."
    )
    total = graphene.Field(Money, required=True, description="The locked price.")
    cancellation_policy = graphene.Field(
        CancellationPolicy, required=True, description="The policy it was booked under."
    )
    warnings = graphene.List(graphene.NonNull(Warning_), required=True, description="Screening warnings.")
    refund = graphene.Field(Refund, description="The refund, once cancelled.")
    commission = graphene.Field(
        Commission,
        description="The agency's commission on the medical fee (null for bookings made before they kept it).",
    )
    visa_document = graphene.Field(
        VisaDocument,
        description="The treatment-reservation confirmation for the patient's medical visa (the clinics' "
        "VISA_INVITATION_LETTER), once the clinic has confirmed the booking: for the agency that booked and the clinic "
        "that treats (null with the error BOOKING_NOT_CONFIRMED before, and once cancelled or missed).",
    )
    history = graphene.List(graphene.NonNull(HistoryEntry), required=True, description="Every status change.")
    care_plan = graphene.Field(
        CarePlan,
        required=True,
        lang=lang_arg(),
        description="The dated care plan, its texts in the language asked for.",
    )

    def resolve_slot_start(root, info):
        return root["slot"]["start"]

    def resolve_slot_start_home(root, info):
        return root["slot"]["startHome"]

    def resolve_total(root, info):
        price = root["price"]
        return money_from_lines(price["total"], price["currency"], price["krwPerUnit"], price["rateAsOf"])

    async def resolve_care_plan(root, info, lang=None):
        return await bookings.care_plan(ctx(info), root["reference"], language(info, lang))

    async def resolve_visa_document(root, info):
        pdf = await bookings.visa_document(ctx(info), root["reference"])
        return {
            "filename": f"{root['reference']}-treatment-confirmation.pdf",
            "content_type": "application/pdf",
            "base64": base64.b64encode(pdf).decode(),
        }


BookingConnection = connection_type(Booking, "booking", "bookings")


class Slot(WireObject):
    """Appointment capacity at a time, in Seoul."""

    id = graphene.ID(required=True, description="Slot id.")
    clinic = graphene.String(required=True, description="Clinic slug.")
    package_id = graphene.ID(description="The package it is for, or null for any package of the clinic.")
    start = graphene.String(required=True, description="Start, Seoul time with its offset (ISO 8601).")
    duration_minutes = graphene.Int(required=True, description="Length.")
    capacity = graphene.Int(required=True, description="Seats.")
    booked = graphene.Int(required=True, description="Seats taken.")
    free = graphene.Int(required=True, description="Seats left.")
    status = graphene.String(required=True, description="FREE, BUSY or CLOSED.")


SlotConnection = connection_type(Slot, "slot", "slots")


class Screening(graphene.ObjectType):
    """What a patient's answers trigger for a package, as createBooking would decide it."""

    warnings = graphene.List(graphene.NonNull(Warning_), required=True, description="Cautions the booking would carry.")
    blocking = graphene.List(
        graphene.NonNull(Warning_),
        required=True,
        description="Cautions that refuse the booking (SCREENING_BLOCKED) until the clinic assesses the patient.",
    )
    guidance = graphene.List(
        graphene.NonNull(Warning_),
        required=True,
        description="Guidance for every patient of the package's procedures (infection if aftercare is neglected).",
    )
    recommended_because = graphene.List(
        graphene.NonNull(Warning_),
        required=True,
        description="Why the seed's dermatologists recommend treatment, from the assessment given (scar types, "
        "topical care tried).",
    )
    bookable = graphene.Boolean(required=True, description="True when nothing blocks the booking.")

    def resolve_bookable(root, info):
        return not root["blocking"]


class VisitOption(WireObject):
    """A visit of the treatment and the slot proposed for it."""

    number = graphene.Int(required=True, description="Which visit, from 1.")
    slot = graphene.Field(Slot, description="The earliest free slot inside its window; null when there is none.")
    earliest = Date(description="The window's first Seoul date (null for the first visit).")
    latest = Date(description="The window's last Seoul date (null for the first visit).")


class FirstFollowUp(WireObject):
    """The first follow-up of a quote's plan, at the earliest time that fits after the proposed visits."""

    kind = graphene.Field(FollowUpKind, required=True, description="In person, or a remote video call.")
    start = graphene.String(required=True, description="Start, Seoul time with its offset (ISO 8601).")
    slot = graphene.Field(Slot, description="An in-person follow-up's slot; null for a remote call.")


class VisitPlan(WireObject):
    """Every visit of a package from a first slot, the trips they make and the first follow-up."""

    visits = graphene.List(graphene.NonNull(VisitOption), required=True, description="Every visit, in order.")
    trips = graphene.List(
        graphene.NonNull(Trip),
        required=True,
        description="The trips the visits make (empty until every visit has a slot).",
    )
    follow_up = graphene.Field(
        FirstFollowUp,
        description="The first follow-up of the quote's follow-up plan, at the earliest time that fits; null when "
        "the quote has no plan with appointments (none, or messaging), or when none fits.",
    )
    complete = graphene.Boolean(
        required=True,
        description="Every visit has a slot and, when the quote's follow-up plan has appointments, the first "
        "follow-up a time: the whole plan can be booked.",
    )
    window = graphene.Field(VisitWindow, required=True, description="The window each next visit is looked for in.")
