"""Won to other currencies: Decimal only, rounded to each currency's minor unit (babel knows them)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision

CURRENCIES = ("KRW", "USD", "EUR", "JPY", "CNY", "GBP", "AUD", "CAD", "SGD", "HKD", "TWD", "THB", "VND", "RUB", "AED")


def minor_units(currency: str) -> int:
    """Digits after the decimal point: 0 for KRW, JPY and VND, 2 for USD."""
    return get_currency_precision(currency)


def from_krw(krw: int, krw_per_unit: str, currency: str) -> Decimal:
    """``krw`` won in ``currency``, rounded half up to its minor unit."""
    step = Decimal(1).scaleb(-minor_units(currency))
    return (Decimal(krw) / Decimal(krw_per_unit)).quantize(step, rounding=ROUND_HALF_UP)


def to_krw(amount: int, krw_per_unit: str, *, round_up: bool) -> int:
    """A bound given in another currency, in whole won (up for a minimum, down for a maximum)."""
    won = Decimal(amount) * Decimal(krw_per_unit)
    return int(won.to_integral_value(rounding=ROUND_CEILING if round_up else ROUND_FLOOR))


def as_text(amount: Decimal) -> str:
    return format(amount, "f")


def percent_of(amount: Decimal | int, percent: int, digits: int = 0) -> Decimal:
    """``percent`` % of ``amount``, rounded half up to ``digits`` decimal places."""
    return (Decimal(amount) * percent / 100).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
