"""Loads the catalogue's part of ``seed/`` through its own models, and synthetic clinics for scale.

Loading is insert-if-absent keyed by code or slug: running it again writes nothing, and
never overwrites a profile a clinic admin has since edited.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from services.common.validation import validate
from services.common.wire import model_fields

from . import store
from .models import Clinic, Procedure, ScarType

SEED_DIR = Path(__file__).resolve().parents[2] / "seed" / "catalogue"


def ensure_indexes() -> None:
    for model in (ScarType, Procedure, Clinic):
        model.ensure_indexes()


def _insert_missing(model, key: str, documents: list) -> int:
    """Insert each document whose ``key`` is not stored yet; returns how many were inserted."""
    raws = []
    for document in documents:
        document.validate()
        raw = document.to_mongo().to_dict()
        raw.pop("_id", None)
        raws.append(raw)
    return store.insert_missing(model, key, raws)


def _read(name: str) -> list:
    return json.loads((SEED_DIR / name).read_text(encoding="utf-8"))


def load_seed() -> dict[str, int]:
    ensure_indexes()
    scar_types = [ScarType(**item) for item in _read("scar_types.json")]
    procedures = [Procedure(**item) for item in _read("procedures.json")]
    clinics = []
    for item in _read("clinics.json"):
        body = validate("catalogue/clinic-create", item["clinic"])  # the same contract the API enforces
        clinics.append(
            Clinic(**model_fields(Clinic, body), source="seed", sample_fields=item["sampleFields"], facts=item["facts"])
        )
    return {
        "scarTypes": _insert_missing(ScarType, "code", scar_types),
        "procedures": _insert_missing(Procedure, "code", procedures),
        "clinics": _insert_missing(Clinic, "slug", clinics),
    }


SYNTHETIC_DISTRICTS = [
    "GANGNAM",
    "APGUJEONG",
    "SINSA",
    "CHEONGDAM",
    "MYEONGDONG",
    "JUNG",
    "SEOCHO",
    "JONGNO",
    "SONGPA",
    "MAPO",
    "YONGSAN",
]
SYNTHETIC_LANGUAGES = ["en", "zh", "ja", "ru", "vi", "th", "mn", "ar", "id", "es"]
SYNTHETIC_SERVICES = [
    "INTERPRETER",
    "AIRPORT_PICKUP",
    "SKINCARE_KIT",
    "KBEAUTY_AFTERCARE",
    "REMOTE_FOLLOW_UP",
    "VISA_INVITATION_LETTER",
]


def synthetic_clinic(index: int, procedure_codes: list[str], rng: random.Random) -> Clinic:
    """A clearly synthetic clinic (slug, name and source say so) for scale work."""
    number = f"{index:05d}"
    langs = ["ko", "en"] + rng.sample(SYNTHETIC_LANGUAGES[1:], rng.randint(0, 4))
    procedures = rng.sample(procedure_codes, rng.randint(2, min(7, len(procedure_codes))))
    expires = f"{rng.choice([2025, 2026, 2027, 2028])}-{rng.randint(1, 12):02d}-28"
    return Clinic(
        slug=f"synthetic-clinic-{number}",
        kind="HOSPITAL" if index % 10 == 0 else "PRIVATE_CLINIC",
        name={"en": f"Synthetic Clinic {number}", "ko": f"합성 클리닉 {number}"},
        description={"en": "Synthetic clinic generated for scale tests; not a real institution."},
        district=rng.choice(SYNTHETIC_DISTRICTS),
        address={"street": {"en": "Synthetic street"}, "city": "Seoul"},
        procedures=[{"code": code, "devices": []} for code in procedures],
        languages={"booking": langs, "in_room": langs[: max(2, len(langs) - 1)], "aftercare": langs[:2]},
        international_services=rng.sample(SYNTHETIC_SERVICES, rng.randint(0, len(SYNTHETIC_SERVICES))),
        accreditations=[
            {
                "issuer": "Synthetic issuer",
                "name": "Synthetic badge",
                "registry_number": f"SYN-{number}",
                "expires_on": expires,
            }
        ]
        if rng.random() < 0.6
        else [],
        source="synthetic",
    )


def load_synthetic(count: int, seed: int = 7) -> int:
    ensure_indexes()
    rng = random.Random(seed)
    codes = [p["code"] for p in store.procedure_documents() if p["category"] not in ("TOPICAL", "ORAL")] or [
        "MICRONEEDLING",
        "TCA_CROSS",
    ]
    inserted = 0
    for start in range(1, count + 1, 1000):
        batch = [synthetic_clinic(i, codes, rng) for i in range(start, min(start + 1000, count + 1))]
        inserted += _insert_missing(Clinic, "slug", batch)
    return inserted
