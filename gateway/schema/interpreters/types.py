"""Interpreters and providers as their managers see them."""

from __future__ import annotations

import graphene

from ..bookings.types import Credential
from ..core.wire import WireObject

InterpreterLevel = graphene.Enum(
    "InterpreterLevel",
    [("IN_ROOM", "IN_ROOM"), ("BOOKING", "BOOKING")],
    description=lambda v: (
        "Where an interpreter works."
        if v is None
        else {
            "IN_ROOM": "In the treatment room, one patient at a time: the one each visit in a language reserves.",
            "BOOKING": "A coordinator who may serve several patients at once.",
        }[v.name]
    ),
)
ProviderKind = graphene.Enum(
    "InterpreterProviderKind",
    [("CLINIC", "CLINIC"), ("INTERPRETATION_PROVIDER", "INTERPRETATION_PROVIDER")],
    description=lambda v: (
        "Who interpreters work for."
        if v is None
        else {
            "CLINIC": "A clinic's own coordinators, managed by its admins.",
            "INTERPRETATION_PROVIDER": "A provider serving several clinics, managed by platform admins.",
        }[v.name]
    ),
)


class WorkingHours(WireObject):
    """When an interpreter works, in Seoul time."""

    weekday = graphene.String(required=True, description="MON ... SUN.")
    from_ = graphene.String(required=True, name="from", description="HH:MM, Seoul time.")
    to = graphene.String(required=True, description="HH:MM, Seoul time.")

    def resolve_from_(root, info):
        return root["from"]


class Interpreter(WireObject):
    """A person who interprets, as those who manage them see them."""

    id = graphene.ID(required=True, description="The interpreter.")
    provider = graphene.String(required=True, description="The provider's id (`clinic:<slug>` for a clinic's own).")
    provider_name = graphene.String(description="The provider's name.")
    name = graphene.String(required=True, description="Their name.")
    languages = graphene.List(graphene.NonNull(graphene.String), required=True, description="ISO 639-1 codes.")
    level = graphene.Field(InterpreterLevel, required=True, description="Where they work.")
    capacity = graphene.Int(required=True, description="Patients at once (IN_ROOM: one).")
    credential = graphene.Field(Credential, description="Their credential, if any.")
    credential_valid = graphene.Boolean(
        required=True, description="Whether the credential is valid today (false without one, or past its expiry)."
    )
    hours = graphene.List(graphene.NonNull(WorkingHours), required=True, description="When they work.")
    active = graphene.Boolean(required=True, description="False: offered for no new visit.")
    source = graphene.String(
        required=True, description="sample: seed data whose details are samples; admin: entered by an admin."
    )


class InterpreterProvider(WireObject):
    """Who interpreters work for, with its rules."""

    id = graphene.String(required=True, description="Its id.")
    name = graphene.String(required=True, description="Its name.")
    kind = graphene.Field(ProviderKind, required=True, description="A clinic's own, or a provider serving several.")
    clinics = graphene.List(graphene.NonNull(graphene.String), required=True, description="The clinics it serves.")
    notice_hours = graphene.Int(required=True, description="A visit sooner than this is not served.")
    weekly_cap = graphene.Int(description="The visits it serves each clinic in a Seoul week; null: no cap.")
    source = graphene.String(required=True, description="sample or admin.")
