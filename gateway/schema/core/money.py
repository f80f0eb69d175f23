"""Amounts in a currency as a service priced them: the gateway converts nothing itself."""

from __future__ import annotations

from typing import Any

import graphene

from ...clients import packages
from .loaders import Loader
from .scalars import Currency, Date


class Money(graphene.ObjectType):
    """An amount in a currency, converted from won at a dated rate."""

    amount = graphene.String(
        required=True, description="Decimal text rounded to the currency's minor unit; never a float."
    )
    currency = graphene.Field(Currency, required=True, description="The currency of amount.")
    krw = graphene.Int(required=True, description="The same amount in Korean won, as charged.")
    rate = graphene.String(required=True, description="Won per one unit of the currency.")
    as_of = graphene.Field(Date, description="The date the rate holds for.")


class RatesLoader(Loader):
    """The exchange rates in force, read once per request."""

    async def load_batch(self, keys: list[str]) -> list[Any]:
        table = await packages.exchange_rates(self.context)
        return [table] * len(keys)


def money_from_lines(line: dict, currency: str, rate: str, as_of: str) -> dict:
    """A priced line a service computed, as Money."""
    return {"amount": line["amount"], "currency": currency, "krw": line["krw"], "rate": rate, "as_of": as_of}


def currency_of(value: Any) -> str:
    """A Currency input (or None) as its code; KRW when omitted."""
    return str(getattr(value, "value", value) or "KRW")
