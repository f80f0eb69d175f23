"""What a quote takes."""

from __future__ import annotations

import graphene

from ..core.scalars import Currency


class CreateQuoteInput(graphene.InputObjectType):
    """What to quote."""

    package_id = graphene.ID(required=True, description="A published package.")
    interpreter_language = graphene.String(description="An interpreter language the package offers.")
    follow_up_plan = graphene.String(description="A follow-up plan code the package offers.")
    currency = Currency(description="Display currency; KRW when omitted.")
