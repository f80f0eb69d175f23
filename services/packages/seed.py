"""Loads the packages' part of ``seed/`` through the packages models, and synthetic packages.

Seed packages get ids derived from their seed key, so loading is insert-if-absent and a
restart writes nothing. What a package keeps of its procedures (longest downtime,
cautions) is read from the catalogue's seed file here, because at seed time no service
is running yet; the API asks the catalogue service.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

from bson import ObjectId

from services.common import care
from services.common.validation import validate

from . import store
from .knowledge import apply_knowledge, knowledge_from_procedures
from .models import ExchangeRateTable, Package, PackageVersion, Quote, utcnow
from .packages import model_fields

SEED = Path(__file__).resolve().parents[2] / "seed"


def seed_id(key: str) -> ObjectId:
    return ObjectId(hashlib.sha256(f"clinicbridge-package:{key}".encode()).hexdigest()[:24])


def ensure_indexes() -> None:
    """The indexes, and a rates table written before the current one was kept apart named current."""
    for model in (Package, PackageVersion, ExchangeRateTable, Quote):
        model.ensure_indexes()
    store.event_log.ensure_indexes()
    store.migrate_rates()
    store.migrate_documents()
    store.migrate_derived()


def catalogue_knowledge() -> dict[str, dict]:
    """The catalogue seed's procedures in the shape ``knowledge_from_procedures`` takes (texts per
    language, sources as the catalogue serves them)."""
    procedures = json.loads((SEED / "catalogue" / "procedures.json").read_text(encoding="utf-8"))
    return {
        p["code"]: {
            "code": p["code"],
            "name": p["name"],
            "downtimeDays": p.get("downtime_days"),
            "sessionIntervalDays": p.get("session_interval_days"),
            "cautions": [
                {"code": c["code"], "appliesWhen": c["applies_when"], "text": c["text"], "source": care.source(c)}
                for c in p["cautions"]
            ],
            "preparation": [
                {
                    "code": s["code"],
                    "instruction": s["instruction"],
                    "daysBefore": s["days_before"],
                    "daily": s.get("daily", False),
                    "source": care.source(s),
                }
                for s in p["preparation"]
            ],
            "recovery": [
                {
                    "phase": r["phase"],
                    "fromDay": r["from_day"],
                    "toDay": r["to_day"],
                    "expectation": r["expectation"],
                    "source": care.source(r),
                }
                for r in p["recovery"]
            ],
            "aftercare": [
                {"code": a["code"], "instruction": a["instruction"], "hours": a["hours"], "source": care.source(a)}
                for a in p.get("aftercare", [])
            ],
        }
        for p in procedures
    }


def build_package(ident: ObjectId, body: dict, knowledge: dict, **extra) -> Package:
    package = Package(id=ident, **model_fields(body), **extra)
    apply_knowledge(package, knowledge_from_procedures([knowledge[item["procedure"]] for item in body["items"]]))
    return package


def _insert_missing(packages: list[Package]) -> int:
    documents = []
    for package in packages:
        package.validate()
        documents.append(package.to_mongo().to_dict())
    return store.insert_missing_packages(documents)


def load_seed() -> dict[str, int]:
    ensure_indexes()
    knowledge = catalogue_knowledge()
    packages = []
    for entry in json.loads((SEED / "packages" / "packages.json").read_text(encoding="utf-8")):
        body = validate("packages/package-create", entry["package"])  # the same contract the API enforces
        packages.append(
            build_package(
                seed_id(entry["key"]),
                body,
                knowledge,
                status="PUBLISHED",
                source="seed",
                sample_fields=entry["sampleFields"],
                facts=entry["facts"],
            )
        )
    rates = 0
    if store.current_rates() is None:
        table = json.loads((SEED / "packages" / "exchange_rates.json").read_text(encoding="utf-8"))
        ExchangeRateTable(as_of=table["asOf"], rates=table["rates"], source=table["source"]).validate()
        store.replace_rates(table["asOf"], table["rates"], table["source"], utcnow())
        rates = 1
    return {"packages": _insert_missing(packages), "exchangeRateTables": rates}


def synthetic_package(index: int, clinics: int, knowledge: dict, rng: random.Random) -> Package:
    """A clearly synthetic package (its title says so) of a synthetic clinic."""
    procedural = [code for code, p in knowledge.items() if p["downtimeDays"]]
    codes = rng.sample(procedural, rng.randint(1, 3))
    sessions = rng.randint(1, 6)
    languages = ["en"] + rng.sample(["zh", "ja", "ru", "vi", "th", "mn", "ar"], rng.randint(0, 3))
    body: dict[str, Any] = {
        "clinic": f"synthetic-clinic-{(index % clinics) + 1:05d}",
        "title": {"en": f"Synthetic package {index:06d}"},
        "scarTypes": rng.sample(["ICE_PICK", "BOXCAR", "ROLLING", "HYPERTROPHIC", "PIH", "PIE"], rng.randint(1, 3)),
        "items": [{"procedure": code, "sessions": rng.randint(1, sessions)} for code in codes],
        "sessionIntervalDays": rng.choice([14, 21, 28, 35, 42]),
        "includes": ["CONSULTATION"],
        "priceKrw": rng.randint(30, 600) * 10_000,
        "interpreterOptions": [
            {"language": lang, "included": rng.random() < 0.5, "pricePerSessionKrw": rng.randint(3, 9) * 10_000}
            for lang in languages
        ],
        "followUpPlans": [
            {
                "code": "VIDEO",
                "kind": rng.choice(["REMOTE_VIDEO", "IN_PERSON", "MESSAGING"]),
                "count": rng.randint(1, 4),
                "priceKrw": rng.randint(0, 20) * 10_000,
            }
        ],
        "cancellationPolicy": {
            "tiers": [{"daysBefore": 14, "refundPercent": 100}, {"daysBefore": 0, "refundPercent": 0}]
        },
        "minimumStayDays": rng.randint(2, 10),
    }
    body["items"][0]["sessions"] = sessions
    return build_package(seed_id(f"synthetic:{index}"), body, knowledge, status="PUBLISHED", source="synthetic")


def load_synthetic(count: int, clinics: int | None = None, seed: int = 11) -> int:
    """``count`` synthetic packages of the first ``clinics`` synthetic clinics (one each by default,
    lining up with ``python -m services.catalogue seed --synthetic`` of the same count)."""
    ensure_indexes()
    clinics = clinics or count
    knowledge = catalogue_knowledge()
    rng = random.Random(seed)
    inserted = 0
    for start in range(0, count, 2000):
        batch = [synthetic_package(i, clinics, knowledge, rng) for i in range(start, min(start + 2000, count))]
        inserted += _insert_missing(batch)
    return inserted
