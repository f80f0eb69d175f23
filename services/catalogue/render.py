"""How catalogue documents look on the wire: camelCase, localized, no derived fields."""

from __future__ import annotations

from services.common import care
from services.common.localization import localize


def _range(value: dict | None) -> dict | None:
    return {"min": value["min"], "max": value["max"]} if value else None


def clinic(doc: dict, lang: str, today: str) -> dict:
    address = doc.get("address")
    languages = doc.get("languages") or {}
    contact = doc.get("contact")
    return {
        "slug": doc["slug"],
        "kind": doc["kind"],
        "lang": lang,
        "name": localize(doc["name"], lang),
        "description": localize(doc.get("description"), lang),
        "district": doc["district"],
        "address": {
            "street": localize(address.get("street"), lang),
            "city": address["city"],
            "postalCode": address.get("postal_code"),
        }
        if address
        else None,
        "location": {"lat": doc["location"]["lat"], "lng": doc["location"]["lng"]} if doc.get("location") else None,
        "procedures": [{"code": p["code"], "devices": p.get("devices", [])} for p in doc.get("procedures", [])],
        "languages": {
            "booking": languages.get("booking", []),
            "inRoom": languages.get("in_room", []),
            "aftercare": languages.get("aftercare", []),
        },
        "internationalServices": doc.get("international_services", []),
        "accreditations": [
            {
                "issuer": a["issuer"],
                "name": a["name"],
                "registryNumber": a["registry_number"],
                "expiresOn": a["expires_on"],
                "valid": a["expires_on"] >= today,
            }
            for a in doc.get("accreditations", [])
        ],
        "doctors": [
            {
                "name": localize(d["name"], lang),
                "title": localize(d.get("title"), lang),
                "boardCertifiedDermatologist": d.get("board_certified_dermatologist"),
                "specialties": d.get("specialties", []),
            }
            for d in doc.get("doctors", [])
        ],
        "contact": {k: contact.get(k) for k in ("phone", "email", "website")} if contact else None,
        "knownFor": localize(doc.get("known_for"), lang),
        "source": doc.get("source", "listing"),
        "facts": care.facts(doc.get("facts", [])),
        "sampleFields": care.sample_fields(doc),
        "version": doc.get("version", 1),
        "updatedAt": doc["updated_at"].isoformat().replace("+00:00", "Z"),
    }


def procedure(doc: dict, lang: str) -> dict:
    return {
        "code": doc["code"],
        "lang": lang,
        "name": localize(doc["name"], lang),
        "category": doc["category"],
        "summary": localize(doc["summary"], lang),
        "indications": doc.get("indications", []),
        "typicalSessions": _range(doc.get("typical_sessions")),
        "sessionIntervalDays": _range(doc.get("session_interval_days")),
        "downtimeDays": _range(doc.get("downtime_days")),
        "preparation": care.preparation(doc.get("preparation", []), lang),
        "recovery": care.recovery(doc.get("recovery", []), lang),
        "risks": {
            "mild": [localize(r, lang) for r in doc.get("risks_mild", [])],
            "rare": [localize(r, lang) for r in doc.get("risks_rare", [])],
        },
        "cautions": [
            {
                "code": c["code"],
                "text": localize(c["text"], lang),
                "appliesWhen": c["applies_when"],
                "source": care.source(c),
            }
            for c in doc.get("cautions", [])
        ],
        "aftercare": care.aftercare(doc.get("aftercare", []), lang),
        "forActiveAcne": doc.get("for_active_acne", False),
        "facts": care.facts(doc.get("facts", [])),
        "combinedWith": doc.get("combined_with", []),
        "source": doc["source"],
        "sampleFields": care.sample_fields(doc),
    }


def scar_type(doc: dict, lang: str) -> dict:
    return {
        "code": doc["code"],
        "lang": lang,
        "family": doc["family"],
        "name": localize(doc["name"], lang),
        "description": localize(doc["description"], lang),
    }
