"""Exchange rates: won per unit of each currency, replaced as a whole table."""

from __future__ import annotations

from services.common.errors import Problem, validation_problem

from . import store
from .models import ExchangeRateTable, utcnow


def current_rates() -> dict:
    table = store.current_rates()
    if table is None:
        raise Problem(503, "RATES_UNAVAILABLE", "No exchange rates are loaded yet.")
    return {"asOf": table["as_of"], "rates": {"KRW": "1", **table["rates"]}, "source": table["source"]}


def replace_rates(body: dict) -> dict:
    errors = [
        {"field": f"rates.{code}", "message": "must be more than zero"}
        for code, rate in body["rates"].items()
        if float(rate) == 0 or code == "KRW"
    ]
    if errors:
        raise validation_problem(errors)
    ExchangeRateTable(as_of=body["asOf"], rates=body["rates"], source="admin").validate()
    store.replace_rates(body["asOf"], body["rates"], "admin", utcnow())
    return current_rates()
