"""The price rule, written once: what each line of a package with options costs in won, a price per visit,
and any of these in a currency at a dated rate. Quotes, comparisons, the prices the gateway shows and
the per-visit sort key all come from here."""

from __future__ import annotations

from decimal import Decimal

from services.common import money


def visits_of(items: list[dict]) -> int:
    """How many visits a package's items make: sessions of different procedures share visits."""
    return max((item["sessions"] for item in items), default=0)


def per_visit(price_krw: int, visits: int) -> int:
    """The base price shared equally by the visits, rounded down to the won."""
    return price_krw // visits if visits else price_krw


def price_per_visit(package: dict) -> int:
    """A stored package's price per visit."""
    return package["price_per_session_krw"]


def interpreter_per_visit(option: dict) -> int:
    """What an interpreter option costs each visit: nothing when included."""
    return 0 if option["included"] else option.get("price_per_session_krw", 0)


def interpreter_option(package: dict, language: str | None) -> dict | None:
    return next((o for o in package.get("interpreter_options", []) if o["language"] == language), None)


def option_prices(package: dict, interpreter: dict | None, plan: dict | None) -> dict[str, int]:
    """The won of each line: the base price, the interpreter for every visit unless included, the follow-up plan."""
    interpreter_krw = 0 if interpreter is None else interpreter_per_visit(interpreter) * package["visits"]
    return {"base": package["price_krw"], "interpreter": interpreter_krw, "followUp": plan["price_krw"] if plan else 0}


def priced(lines: dict[str, int], krw_per_unit: str, currency: str) -> dict:
    """Each line and the total in won and in ``currency``; the total is the sum of the lines as
    shown, so an itemization always adds up."""
    converted = {name: money.from_krw(krw, krw_per_unit, currency) for name, krw in lines.items()}
    return {
        "lines": {name: {"krw": lines[name], "amount": money.as_text(converted[name])} for name in lines},
        "total": {"krw": sum(lines.values()), "amount": money.as_text(sum(converted.values(), Decimal(0)))},
    }


def package_prices(package: dict, krw_per_unit: str, currency: str) -> dict:
    """A package's base price and its price per visit, in won and in ``currency``."""
    return {
        "id": str(package["_id"]),
        "price": priced({"base": package["price_krw"]}, krw_per_unit, currency)["total"],
        "pricePerSession": priced({"base": price_per_visit(package)}, krw_per_unit, currency)["total"],
    }
