"""A facilitator's commission: a share of the medical fee only, exact to the won, and the monthly statements
that add it up.

The medical fee is the quote's base price: the interpreter and the follow-up plan are not part of it (the law
leaves interpretation, transport and lodging out of the base). Amounts are whole won, each rounded half up
once, where it is computed:

- a booking's commission = rate × medical fee, rounded half up to the won;
- a refund gives back the medical fee's share of it: medical fee × (visits refunded ÷ visits) × refund percent,
  rounded half up to the won, as the refund itself is; the medical fee kept is the rest, and the commission
  becomes rate × medical fee kept, rounded half up to the won.

So each booking holds its own whole-won amounts, and a statement's totals are the plain sums of its lines:
they equal the sum of its bookings' to the won, however many there are.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from services.common.clock import SEOUL, seoul_date, seoul_iso

WON = Decimal(1)


def won(amount: Decimal) -> int:
    """Whole won, rounded half up."""
    return int(amount.quantize(WON, rounding=ROUND_HALF_UP))


def of_rate(rate_percent: str, krw: int) -> int:
    """``rate_percent`` % of ``krw`` won, to the won."""
    return won(Decimal(krw) * Decimal(rate_percent) / 100)


def on_booking(rate_percent: str | None, price: dict) -> dict:
    """A new booking's commission: the agreement's rate (none: 0) on the medical fee, the base price alone."""
    medical = int(price["lines"]["base"]["krw"])
    rate = rate_percent or "0"
    return {
        "ratePercent": rate,
        "agreement": rate_percent is not None,
        "medicalFeeKrw": medical,
        "refundedMedicalKrw": 0,
        "keptMedicalKrw": medical,
        "amountKrw": of_rate(rate, medical),
    }


def after_refund(commission: dict | None, refund: dict) -> dict | None:
    """The commission once a refund is given: on the medical fee kept, in proportion to what was refunded."""
    if commission is None:  # booked before commissions were recorded
        return None
    medical = commission["medicalFeeKrw"]
    share = Decimal(refund["visitsRefunded"]) / Decimal(refund["visits"])
    refunded = won(Decimal(medical) * share * refund["percent"] / 100)
    kept = medical - refunded
    return {
        **commission,
        "refundedMedicalKrw": refunded,
        "keptMedicalKrw": kept,
        "amountKrw": of_rate(commission["ratePercent"], kept),
    }


# -- monthly statements ------------------------------------------------------------------------------


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The moments a Seoul month (YYYY-MM) starts and the next one starts."""
    year, number = int(month[:4]), int(month[5:7])
    first = date(year, number, 1)
    after = (first + timedelta(days=32)).replace(day=1)
    return datetime(first.year, first.month, 1, tzinfo=SEOUL), datetime(after.year, after.month, 1, tzinfo=SEOUL)


def statement_line(booking: dict) -> dict:
    commission = booking.get("commission") or on_booking(None, booking["price"])
    return {
        "reference": booking["reference"],
        "agency": booking["agency"],
        "clinic": booking["clinic"],
        "status": booking["status"],
        "firstVisit": seoul_iso(booking["slot_start"]),
        "firstVisitDate": seoul_date(booking["slot_start"]).isoformat(),
        "ratePercent": commission["ratePercent"],
        "medicalFeeKrw": commission["medicalFeeKrw"],
        "refundedMedicalKrw": commission["refundedMedicalKrw"],
        "keptMedicalKrw": commission["keptMedicalKrw"],
        "commissionKrw": commission["amountKrw"],
    }


def statement(party: dict, month: str, bookings: list[dict]) -> dict:
    """A month's statement for an agency or a clinic (``party``: {"agency": …} or {"clinic": …}): one line per
    booking whose first visit falls in that Seoul month, and the totals, the sums of the lines."""
    lines = [statement_line(booking) for booking in bookings]
    return {
        **{"agency": None, "clinic": None, **party},
        "month": month,
        "lines": lines,
        "totals": {
            "bookings": len(lines),
            "medicalFeeKrw": sum(line["medicalFeeKrw"] for line in lines),
            "refundedMedicalKrw": sum(line["refundedMedicalKrw"] for line in lines),
            "keptMedicalKrw": sum(line["keptMedicalKrw"] for line in lines),
            "commissionKrw": sum(line["commissionKrw"] for line in lines),
        },
    }


STATEMENT_COLUMNS = (
    "reference",
    "agency",
    "clinic",
    "status",
    "firstVisitDate",
    "ratePercent",
    "medicalFeeKrw",
    "refundedMedicalKrw",
    "keptMedicalKrw",
    "commissionKrw",
)


def statement_csv(shown: dict) -> str:
    """The statement as CSV: a header, one row per booking, and a TOTAL row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STATEMENT_COLUMNS)
    for line in shown["lines"]:
        writer.writerow([line[column] for column in STATEMENT_COLUMNS])
    totals = shown["totals"]
    writer.writerow(
        ["TOTAL", shown["agency"] or "", shown["clinic"] or "", "", "", ""]
        + [totals[column] for column in ("medicalFeeKrw", "refundedMedicalKrw", "keptMedicalKrw", "commissionKrw")]
    )
    return out.getvalue()
