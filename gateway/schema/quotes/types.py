"""A quote and its priced lines."""

from __future__ import annotations

import graphene

from ..core.money import Money, money_from_lines
from ..core.scalars import DateTime
from ..core.wire import WireObject
from ..packages.types import Package


def _money(quote: dict, line: dict) -> dict:
    return money_from_lines(line, quote["currency"], quote["exchangeRate"]["krwPerUnit"], quote["exchangeRate"]["asOf"])


class Quote(WireObject):
    """An itemized price for a package version; a booking locks it, so the price seen is the price recorded."""

    id = graphene.ID(required=True, description="Quote id; book it with createBooking.")
    package_version = graphene.Int(required=True, description="The package version quoted.")
    interpreter_language = graphene.String(description="Interpreter chosen, if any.")
    follow_up_plan = graphene.String(description="Follow-up plan chosen, if any.")
    base = graphene.Field(Money, required=True, description="The package's base price.")
    interpreter = graphene.Field(Money, required=True, description="The interpreter, per visit unless included.")
    follow_up = graphene.Field(Money, required=True, description="The follow-up plan.")
    total = graphene.Field(Money, required=True, description="The sum of the lines as shown.")
    expires_at = DateTime(required=True, description="After this it can no longer be booked.")
    expired = graphene.Boolean(required=True, description="True once expiresAt has passed.")
    package = graphene.Field(Package, required=True, description="The package as it was at packageVersion.")

    def resolve_base(root, info):
        return _money(root, root["lines"]["base"])

    def resolve_interpreter(root, info):
        return _money(root, root["lines"]["interpreter"])

    def resolve_follow_up(root, info):
        return _money(root, root["lines"]["followUp"])

    def resolve_total(root, info):
        return _money(root, root["total"])
