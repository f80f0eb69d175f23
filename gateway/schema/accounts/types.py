"""The caller."""

from __future__ import annotations

import graphene


class Viewer(graphene.ObjectType):
    """Who the API key belongs to."""

    role = graphene.String(required=True, description="AGENCY, CLINIC_ADMIN or PLATFORM_ADMIN.")
    clinic = graphene.String(description="The clinic a clinic admin manages (its slug), else null.")
    agency = graphene.String(description="The agency an agency key belongs to, else null.")
