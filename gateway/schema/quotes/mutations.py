"""Quoting a package."""

from __future__ import annotations

import graphene

from services.common.access import ROLES

from ...clients import packages
from ..core.language import language
from ..core.money import currency_of
from ..core.payloads import described, error_type, outcome, payload_type
from ..core.wire import ctx
from .inputs import CreateQuoteInput
from .types import Quote

QuoteError = error_type("QuoteError", "packages", "quote")
CreateQuotePayload = payload_type(
    "CreateQuotePayload",
    "quote",
    Quote,
    "quote",
    "The quote, or why there is none.",
    QuoteError,
    "Business errors (e.g. OPTION_NOT_OFFERED).",
)


class CreateQuote(graphene.Mutation):
    """Quote a package with chosen options, in won and a display currency."""

    class Arguments:
        input = CreateQuoteInput(required=True, description="What to quote.")

    Output = CreateQuotePayload

    async def mutate(root, info, input):
        body = {
            "interpreterLanguage": input.get("interpreter_language"),
            "followUpPlan": input.get("follow_up_plan"),
            "currency": currency_of(input.get("currency")),
        }
        return await outcome("quote", packages.create_quote(ctx(info), input["package_id"], body, language(info)))


class QuoteMutations(graphene.ObjectType):
    create_quote = CreateQuote.Field(
        description=described("Quote a package with chosen options.", ROLES["quotes.create"])
    )
