"""The rows of packages side by side: the facts the services gave, one row each, the best value marked.
Every price in them is the packages service's (``POST /packages/compare``); nothing is computed here."""

from __future__ import annotations

from ..core.comparison import Labels, row


def _devices(package: dict, clinic: dict | None) -> str | None:
    """The devices the clinic uses for the package's procedures."""
    if not clinic:
        return None
    codes = {item["procedure"] for item in package["items"]}
    return ", ".join(sorted({d for o in clinic["procedures"] for d in o["devices"] if o["code"] in codes})) or None


def _clinic_rows(labels: Labels, found: list[dict], clinics: list[dict | None]) -> list[dict]:
    def count(of) -> list[int | None]:
        return [of(c) if c else None for c in clinics]

    return [
        row(labels, "CLINIC_KIND", [c["kind"] if c else None for c in clinics]),
        row(labels, "DISTRICT", [c["district"] if c else None for c in clinics]),
        row(labels, "PROCEDURES", [labels.join(i["name"] for i in p["items"]) for p in found]),
        row(labels, "DEVICES", [_devices(p, c) for p, c in zip(found, clinics, strict=True)]),
        row(
            labels,
            "INCLUDES",
            [len(p["includes"]) for p in found],
            best="max",
            texts=[labels.join(labels.include(code) for code in p["includes"]) or None for p in found],
        ),
        row(labels, "LANGUAGES_IN_ROOM", count(lambda c: len(c["languages"]["inRoom"])), best="max"),
        row(labels, "LANGUAGES_AFTERCARE", count(lambda c: len(c["languages"]["aftercare"])), best="max"),
        row(labels, "INTERNATIONAL_SERVICES", count(lambda c: len(c["internationalServices"])), best="max"),
        row(labels, "VALID_ACCREDITATIONS", count(lambda c: sum(a["valid"] for a in c["accreditations"])), best="max"),
    ]


def comparison_rows(
    labels: Labels, columns: list[dict], clinics: list[dict | None], currency: str, registered: dict
) -> list[dict]:
    """The rows comparing ``columns`` (the packages service's comparison items, priced in ``currency``) and
    their clinics, with ``registered`` (the clinics' registrations for foreign patients) after the clinics'."""
    found = [item["package"] for item in columns]

    def shown(money: dict | None) -> str | None:
        return None if money is None else f"{money['amount']} {currency}"

    return [
        *_clinic_rows(labels, found, clinics),
        registered,
        row(
            labels,
            "PRICE_PER_SESSION",
            [item["pricePerSession"]["krw"] for item in columns],
            best="min",
            texts=[shown(item["pricePerSession"]) for item in columns],
        ),
        row(
            labels,
            "TOTAL_WITH_OPTIONS",
            [item["total"]["krw"] if item["total"] else None for item in columns],
            best="min",
            texts=[shown(item["total"]) for item in columns],
        ),
        row(labels, "DOWNTIME_DAYS", [p["downtimeDays"] for p in found], best="min"),
        row(labels, "SESSIONS", [p["schedule"]["visits"] for p in found], best="min"),
        row(labels, "TRIPS_NEEDED", [p["schedule"]["tripsNeeded"] for p in found], best="min"),
    ]
