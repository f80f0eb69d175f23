"""Quotes: the itemized price of a package with chosen options."""
from __future__ import annotations

import graphene

from ..upstream import ServiceFailure
from .common import Currency, DateTime, Money, WireObject, ctx, money_from_lines, outcome, payload_type
from .packages import Package


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


class CreateQuoteInput(graphene.InputObjectType):
    """What to quote."""

    package_id = graphene.ID(required=True, description="A published package.")
    interpreter_language = graphene.String(description="An interpreter language the package offers.")
    follow_up_plan = graphene.String(description="A follow-up plan code the package offers.")
    currency = Currency(description="Display currency; KRW when omitted.")


CreateQuotePayload = payload_type("CreateQuotePayload", "quote", Quote, "quote", "The quote, or why there is none.",
                                  "Business errors (e.g. OPTION_NOT_OFFERED).")


class CreateQuote(graphene.Mutation):
    """Quote a package with chosen options, in won and a display currency."""

    class Arguments:
        input = CreateQuoteInput(required=True, description="What to quote.")

    Output = CreateQuotePayload

    async def mutate(root, info, input):
        body = {"interpreterLanguage": input.get("interpreter_language"), "followUpPlan": input.get("follow_up_plan"),
                "currency": str(getattr(input.get("currency"), "value", input.get("currency")) or "KRW")}
        return await outcome("quote", ctx(info).call("packages", "POST", f"/packages/{input['package_id']}/quotes", json=body,
                                                      params={"lang": ctx(info).lang}))


class QuoteQueries(graphene.ObjectType):
    quote = graphene.Field(Quote, description="A quote by id.", id=graphene.ID(required=True, description="Quote id."))

    async def resolve_quote(root, info, id):
        try:
            return await ctx(info).call("packages", "GET", f"/quotes/{id}", params={"lang": ctx(info).lang})
        except ServiceFailure as failure:
            if failure.status == 404:
                return None
            raise


class QuoteMutations(graphene.ObjectType):
    create_quote = CreateQuote.Field(description="Quote a package with chosen options.")
