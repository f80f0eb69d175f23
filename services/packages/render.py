"""How packages and quotes look on the wire."""

from __future__ import annotations

from datetime import datetime

from services.common import care
from services.common.clock import aware, iso
from services.common.localization import localize, per_language
from services.common.money import minor_units
from services.common.series import schedule

from . import prices
from .quotes import quote_totals


def _window(doc: dict) -> dict:
    """When the next visit may be."""
    window = doc["visit_window"]
    return {
        "minDays": window["min_days"],
        "maxDays": window["max_days"],
        "source": {
            "kind": "sample",
            "quote": None,
            "note": "The seed gives no interval between sessions: the window is the procedures' sample intervals, "
            "holding the package's own.",
        },
    }


def _items(doc: dict, lang: str) -> list[dict]:
    names = doc["procedure_names"]
    return [
        {
            "procedure": i["procedure"],
            "name": localize(names.get(i["procedure"]), lang) or i["procedure"],
            "sessions": i["sessions"],
        }
        for i in doc["items"]
    ]


def _offer(doc: dict) -> dict:
    """The price, the options and the cancellation policy."""
    return {
        "priceKrw": doc["price_krw"],
        "pricePerSessionKrw": prices.price_per_visit(doc),
        "interpreterOptions": [
            {
                "language": o["language"],
                "included": o["included"],
                "pricePerSessionKrw": prices.interpreter_per_visit(o),
            }
            for o in doc.get("interpreter_options", [])
        ],
        "followUpPlans": [
            {"code": p["code"], "kind": p["kind"], "count": p["count"], "priceKrw": p["price_krw"]}
            for p in doc.get("follow_up_plans", [])
        ],
        "cancellationPolicy": {
            "tiers": [
                {"daysBefore": t["days_before"], "refundPercent": t["refund_percent"]}
                for t in sorted(doc["cancellation_policy"]["tiers"], key=lambda t: -t["days_before"])
            ]
        },
    }


def _care(doc: dict, lang: str) -> dict:
    """What the procedures ask and what follows them, and where each fact comes from."""
    return {
        "screeningRules": [
            {
                "code": r["code"],
                "text": localize(r["text"], lang),
                "blocking": r["blocking"],
                "appliesWhen": r["applies_when"],
                "source": care.source(r),
            }
            for r in doc.get("screening_rules", [])
        ],
        "preparation": care.preparation(doc.get("preparation", []), lang),
        "recovery": care.recovery(doc.get("recovery", []), lang),
        "aftercare": care.aftercare(doc.get("aftercare", []), lang),
        "facts": care.facts(doc.get("facts", [])),
        "sampleFields": care.sample_fields(doc),
    }


def package(doc: dict, lang: str) -> dict:
    """A package on the wire, in ``lang`` (documents kept before their derived fields: ``python -m
    services.packages migrate``)."""
    return {
        "id": str(doc["_id"]),
        "clinic": doc["clinic"],
        "lang": lang,
        "status": doc["status"],
        "version": doc["version"],
        "title": localize(doc["title"], lang),
        "description": localize(doc.get("description"), lang),
        "scarTypes": doc["scar_types"],
        "items": _items(doc, lang),
        "sessionIntervalDays": doc["session_interval_days"],
        "visitWindow": _window(doc),
        "includes": doc.get("includes", []),
        **_offer(doc),
        "minimumStayDays": doc["minimum_stay_days"],
        "schedule": schedule(doc["visits"], doc["session_interval_days"], doc["minimum_stay_days"]),
        "downtimeDays": doc.get("downtime_days", 0),
        **_care(doc, lang),
        "updatedAt": iso(doc["updated_at"]),
    }


def package_texts(doc: dict) -> dict:
    """Every text of a package in every language it has, keyed by what it belongs to: what a
    booking keeps so that its care plan reads in any language later."""
    return {
        "title": per_language(doc["title"]),
        "procedures": {code: per_language(name) for code, name in (doc.get("procedure_names") or {}).items()},
        "preparation": {step["code"]: per_language(step["instruction"]) for step in doc.get("preparation", [])},
        "recovery": {phase["phase"]: per_language(phase["expectation"]) for phase in doc.get("recovery", [])},
        "aftercare": {step["code"]: per_language(step["instruction"]) for step in doc.get("aftercare", [])},
        "screeningRules": {rule["code"]: per_language(rule["text"]) for rule in doc.get("screening_rules", [])},
    }


def quote(doc: dict, package_doc: dict, lang: str, now: datetime) -> dict:
    expires = aware(doc["expires_at"])
    return {
        "id": str(doc["_id"]),
        "packageId": doc["package_id"],
        "packageVersion": doc["package_version"],
        "clinic": doc["clinic"],
        "interpreterLanguage": doc.get("interpreter_language"),
        "followUpPlan": doc.get("follow_up_plan"),
        "currency": doc["currency"],
        "exchangeRate": {"krwPerUnit": doc["krw_per_unit"], "asOf": doc["rate_as_of"]},
        **quote_totals(doc),
        "createdAt": iso(doc["created_at"]),
        "expiresAt": iso(expires),
        "expired": expires <= now,
        "lockedBy": doc.get("locked_by"),
        "package": package({**package_doc, "_id": doc["package_id"]}, lang),
    }


def rates(table: dict) -> dict:
    return {
        "asOf": table["asOf"],
        "base": "KRW",
        "rates": table["rates"],
        "minorUnits": {code: minor_units(code) for code in table["rates"]},
        "source": table["source"],
    }
