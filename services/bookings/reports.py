"""The annual report registered institutions and facilitators make of the foreign patients they treated or
brought: for one clinic or one agency and one Seoul year, the patients by nationality, by month and by
treatment, and the sums of medical fees and commissions.

A patient is a booking whose first visit falls in the year (by its Seoul date) and that was not cancelled;
the sums are over every booking of the year, a cancelled one counting what its refund left (the medical fee
kept and the commission on it), so they match the monthly statements to the won.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime

from services.common.clock import SEOUL, seoul_date

from .commissions import on_booking


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=SEOUL), datetime(year + 1, 1, 1, tzinfo=SEOUL)


def annual(party: dict, year: int, bookings: list[dict]) -> dict:
    """The report for ``party`` ({"agency": …} or {"clinic": …}) from its bookings whose first visit is in the year."""
    patients = [b for b in bookings if b["status"] != "CANCELLED"]
    nationalities = Counter(b["patient"]["nationality"] for b in patients)
    months = Counter(seoul_date(b["slot_start"]).strftime("%Y-%m") for b in patients)
    treatments = Counter(code for b in patients for code in sorted({i["procedure"] for i in b["package"]["items"]}))
    commissions = [b.get("commission") or on_booking(None, b["price"]) for b in bookings]
    return {
        **{"agency": None, "clinic": None, **party},
        "year": year,
        "patients": len(patients),
        "byNationality": [{"nationality": code, "patients": n} for code, n in sorted(nationalities.items())],
        "byMonth": [{"month": f"{year}-{m:02d}", "patients": months.get(f"{year}-{m:02d}", 0)} for m in range(1, 13)],
        "byTreatment": [{"procedure": code, "patients": n} for code, n in sorted(treatments.items())],
        "medicalFeesKrw": sum(c["keptMedicalKrw"] for c in commissions),
        "commissionsKrw": sum(c["amountKrw"] for c in commissions),
    }


def annual_csv(report: dict) -> str:
    """The report as CSV: one row per breakdown and key, then the totals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["breakdown", "key", "patients", "medicalFeesKrw", "commissionsKrw"])
    for item in report["byNationality"]:
        writer.writerow(["nationality", item["nationality"], item["patients"], "", ""])
    for item in report["byMonth"]:
        writer.writerow(["month", item["month"], item["patients"], "", ""])
    for item in report["byTreatment"]:
        writer.writerow(["treatment", item["procedure"], item["patients"], "", ""])
    party = report["clinic"] or report["agency"]
    writer.writerow(
        ["total", f"{party} {report['year']}", report["patients"], report["medicalFeesKrw"], report["commissionsKrw"]]
    )
    return out.getvalue()
