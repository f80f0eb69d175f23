"""Who may call what, declared once per operation: the services enforce it (``@contract(roles=...)``),
the gateway quotes it in each mutation's description. Which clinic's or agency's data a caller
reaches is each service's ``visible_to``; this is only about roles."""

from __future__ import annotations

ANYONE: tuple[str, ...] = ()  # anonymous callers included
CLINIC_STAFF = ("CLINIC_ADMIN", "PLATFORM_ADMIN")

ROLES: dict[str, tuple[str, ...]] = {
    "clinics.create": ("PLATFORM_ADMIN",),
    "clinics.update": CLINIC_STAFF,
    "packages.write": CLINIC_STAFF,
    "rates.replace": ("PLATFORM_ADMIN",),
    "quotes.create": ANYONE,
    "quotes.lock": ("AGENCY", "PLATFORM_ADMIN"),
    "quotes.audit": ("PLATFORM_ADMIN",),  # the bookings service's checker lists every lock
    "slots.write": CLINIC_STAFF,
    "slots.list": CLINIC_STAFF,
    "interpreters.manage": CLINIC_STAFF,  # a clinic's admins their own coordinators; platform admins any provider's
    "providers.manage": ("PLATFORM_ADMIN",),
    "bookings.create": ("AGENCY",),
    "bookings.reschedule": ("AGENCY", *CLINIC_STAFF),  # the agency that booked, the clinic that treats
    "bookings.decide_change": ("AGENCY",),  # a change the clinic proposed: the agency that booked decides
    "follow_ups.mark": CLINIC_STAFF,  # held or missed: the clinic that holds it
    "consultation_hours.write": CLINIC_STAFF,  # a clinic's admins their own clinic's
    "registrations.write": ("PLATFORM_ADMIN",),  # facilitators' and institutions' registrations, recorded and renewed
    "agreements.write": ("PLATFORM_ADMIN",),  # an agency's fee agreement with a clinic, under its category's cap
    "statements.read": ("AGENCY", "CLINIC_ADMIN", "PLATFORM_ADMIN"),  # an agency's and a clinic's their own
    "reports.annual": ("PLATFORM_ADMIN",),
    "visa_documents.read": ("AGENCY", "CLINIC_ADMIN"),  # the agency that booked, the clinic that treats
    "webhooks.manage": ("AGENCY", "CLINIC_ADMIN"),  # an endpoint belongs to an agency or a clinic
    "webhooks.read": ("AGENCY", "CLINIC_ADMIN", "PLATFORM_ADMIN"),  # platform admins see every endpoint
    "webhooks.redeliver": ("AGENCY", "CLINIC_ADMIN", "PLATFORM_ADMIN"),
}

ROLE_PLURALS = {"AGENCY": "agencies", "CLINIC_ADMIN": "the clinic's admins", "PLATFORM_ADMIN": "platform admins"}


def who_may(roles: tuple[str, ...]) -> str:
    """The roles as a sentence for people: "Who may: agencies, platform admins."."""
    if not roles:
        return "Who may: anyone, without an API key too."
    return "Who may: " + ", ".join(ROLE_PLURALS[role] for role in roles) + "."
