"""Money in decimal text, and the one price rule quotes and comparisons share."""

from __future__ import annotations

from decimal import Decimal

from services.common import money
from services.packages.quotes import option_prices, priced

PACKAGE = {
    "price_krw": 2_400_000,
    "visits": 3,
    "interpreter_options": [
        {"language": "en", "included": True},
        {"language": "ja", "included": False, "price_per_session_krw": 50_000},
    ],
}


def test_amounts_round_to_the_currencys_minor_unit():
    assert money.as_text(money.from_krw(2_400_000, "9.2", "JPY")) == "260870"
    assert money.as_text(money.from_krw(1_000_000, "1327.5", "USD")) == "753.30"
    assert money.minor_units("KRW") == 0 and money.minor_units("USD") == 2
    assert money.to_krw(500, "1327.5", round_up=True) == 663_750
    assert money.percent_of(Decimal("10.05"), 50, 2) == Decimal("5.03")


def test_an_interpreter_is_charged_per_visit_unless_included():
    ja = PACKAGE["interpreter_options"][1]
    assert option_prices(PACKAGE, ja, None) == {"base": 2_400_000, "interpreter": 150_000, "followUp": 0}
    assert option_prices(PACKAGE, PACKAGE["interpreter_options"][0], {"price_krw": 90_000})["interpreter"] == 0


def test_a_total_is_the_sum_of_its_lines_as_shown():
    shown = priced({"base": 1_000_001, "interpreter": 1_000_001, "followUp": 1_000_001}, "1327.5", "USD")
    lines = [Decimal(line["amount"]) for line in shown["lines"].values()]
    assert shown["total"]["amount"] == money.as_text(sum(lines, Decimal(0)))
    assert shown["total"]["krw"] == 3_000_003
