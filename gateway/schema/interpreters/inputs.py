"""What the interpreter mutations take."""

from __future__ import annotations

import graphene

from ..core.scalars import Date
from .types import InterpreterLevel


class CredentialInput(graphene.InputObjectType):
    """An interpreter's credential."""

    name = graphene.String(required=True, description="What it certifies.")
    issuer = graphene.String(required=True, description="Who issued it.")
    number = graphene.String(description="Its number.")
    expires_on = Date(description="The last day it is valid.")


class WorkingHoursInput(graphene.InputObjectType):
    """A weekday and its working hours, Seoul time."""

    weekday = graphene.String(required=True, description="MON ... SUN.")
    from_ = graphene.String(required=True, name="from", description="HH:MM.")
    to = graphene.String(required=True, description="HH:MM, after from.")


def interpreter_fields(required: bool) -> dict:
    return {
        "name": graphene.String(required=required, description="Their name."),
        "languages": graphene.List(
            graphene.NonNull(graphene.String), required=required, description="ISO 639-1 codes, 1 to 20."
        ),
        "level": InterpreterLevel(required=required, description="Where they work."),
        "capacity": graphene.Int(description="Patients at once, 1 to 10 (IN_ROOM: one; the default)."),
        "credential": CredentialInput(description="Their credential, if any."),
        "hours": graphene.List(graphene.NonNull(WorkingHoursInput), description="When they work (Seoul time)."),
        "active": graphene.Boolean(
            description="False: offered for no new visit (the visits that have them keep them)."
        ),
    }


InterpreterInput = type(
    "InterpreterInput",
    (graphene.InputObjectType,),
    {
        "__doc__": "A new interpreter.",
        "provider": graphene.String(
            description="The provider they join: required for platform admins; a clinic's admins add to their own."
        ),
        **interpreter_fields(required=True),
    },
)
InterpreterChangesInput = type(
    "InterpreterChangesInput",
    (graphene.InputObjectType,),
    {"__doc__": "What changes of an interpreter (at least one field).", **interpreter_fields(required=False)},
)


def provider_fields(required: bool) -> dict:
    return {
        "name": graphene.String(required=required, description="Its name."),
        "clinics": graphene.List(
            graphene.NonNull(graphene.String), required=required, description="The clinics it serves."
        ),
        "notice_hours": graphene.Int(description="A visit sooner than this is not served (0 to 720)."),
        "weekly_cap": graphene.Int(description="The visits it serves each clinic in a Seoul week (none: no cap)."),
    }


InterpreterProviderInput = type(
    "InterpreterProviderInput",
    (graphene.InputObjectType,),
    {
        "__doc__": "A new interpretation provider.",
        "id": graphene.String(required=True, description="Its id: lowercase letters, digits and dashes."),
        **provider_fields(required=True),
    },
)
InterpreterProviderChangesInput = type(
    "InterpreterProviderChangesInput",
    (graphene.InputObjectType,),
    {"__doc__": "What changes of a provider (at least one field).", **provider_fields(required=False)},
)
