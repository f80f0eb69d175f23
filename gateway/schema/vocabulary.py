"""Every fixed list a frontend offers, from the declarations that define them, so no client
hard-codes an enum: currencies, scar types, statuses, weekdays, skin types, interpreter levels, the lifecycle
and event types."""

from __future__ import annotations

import graphene

from services.common import lifecycle, money
from services.common.localization import LANGUAGES
from services.common.validation import contract_enum

from .bookings.types import BookingStatus, Fitzpatrick, VisitStatus
from .core.scalars import Currency, FollowUpKind, ScarTypeCode
from .events.types import BOOKING_EVENTS, PACKAGE_EVENTS, EventType
from .interpreters.types import InterpreterLevel


class BookingStep(graphene.ObjectType):
    """One step of the booking lifecycle: the mutation that takes it, from which statuses, by whom."""

    mutation = graphene.String(required=True, description="The mutation that takes the step, e.g. confirmBooking.")
    from_ = graphene.List(
        graphene.NonNull(BookingStatus), required=True, name="from", description="Statuses it starts from."
    )
    to = graphene.Field(BookingStatus, required=True, description="The status it leads to.")
    roles = graphene.List(graphene.NonNull(graphene.String), required=True, description="Roles that may take it.")
    visit_from = graphene.List(
        graphene.NonNull(VisitStatus),
        required=True,
        description="For a step of one visit (it takes a visit argument): the visit's statuses it starts from; "
        "empty for a step of the whole booking.",
    )


class Vocabulary(graphene.ObjectType):
    """The fixed lists of the API, for forms and filters."""

    languages = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="Interface languages (ISO 639-1)."
    )
    currencies = graphene.List(graphene.NonNull(Currency), required=True, description="Display currencies.")
    scar_types = graphene.List(graphene.NonNull(ScarTypeCode), required=True, description="Scar type codes.")
    fitzpatrick_skin_types = graphene.List(
        graphene.NonNull(Fitzpatrick), required=True, description="Skin types, I to VI."
    )
    follow_up_kinds = graphene.List(graphene.NonNull(FollowUpKind), required=True, description="Kinds of follow-up.")
    package_statuses = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="Statuses of a package."
    )
    weekdays = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="Weekdays slots open on, MON first."
    )
    interpreter_levels = graphene.List(
        graphene.NonNull(InterpreterLevel), required=True, description="Where an interpreter works."
    )
    booking_steps = graphene.List(graphene.NonNull(BookingStep), required=True, description="The booking lifecycle.")
    event_types = graphene.List(
        graphene.NonNull(EventType), required=True, description="What the event feed and webhooks tell."
    )


VOCABULARY = {
    "languages": list(LANGUAGES),
    "currencies": list(money.CURRENCIES),
    "scar_types": list(contract_enum("common/defs", "scarTypeCode")),
    "fitzpatrick_skin_types": list(contract_enum("bookings/defs", "fitzpatrick")),
    "follow_up_kinds": list(contract_enum("packages/package-fields", "followUpKind")),
    "package_statuses": list(contract_enum("packages/package-fields", "status")),
    "weekdays": list(contract_enum("bookings/defs", "weekday")),
    "interpreter_levels": list(contract_enum("bookings/defs", "interpreterLevel")),
    "event_types": [*BOOKING_EVENTS, *PACKAGE_EVENTS],
    "booking_steps": [
        {
            "mutation": step.mutation,
            "from_": list(step.sources),
            "to": step.target,
            "roles": list(step.roles),
            "visit_from": list(step.visit_sources),
        }
        for step in lifecycle.STEPS
    ],
}


class VocabularyQueries(graphene.ObjectType):
    vocabulary = graphene.Field(Vocabulary, required=True, description="The API's fixed lists, for forms and filters.")

    def resolve_vocabulary(root, info):
        return VOCABULARY
