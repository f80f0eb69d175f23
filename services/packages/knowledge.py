"""What a package keeps of its procedures: the catalogue's facts, in every language, and the
screening rules, preparation and recovery its care plan is dated from."""

from __future__ import annotations

from services.common.care import stored_source
from services.common.clients import client_for
from services.common.errors import Problem
from services.common.localization import FALLBACK, LANGUAGES
from services.common.series import Window, visit_window

from .models import Package

SAMPLE_DEFAULT = {
    "kind": "sample",
    "quote": None,
    "note": "No procedure of the package names this caution; the package declares it blocking with our default text.",
}
# Cautions a package may declare blocking although none of its procedures names them (their own texts win).
DEFAULT_CAUTIONS = {
    "DARKER_SKIN_PIH": (
        {"fitzpatrickAtLeast": 4},
        {"en": "Darker skin can develop hyperpigmentation after resurfacing."},
        SAMPLE_DEFAULT,
    ),
    "RECENT_ISOTRETINOIN": (
        {"isotretinoinWithinMonths": 6},
        {"en": "Oral isotretinoin in the last months: resurfacing and needling are usually postponed."},
        SAMPLE_DEFAULT,
    ),
    "ACTIVE_ACNE": (
        {"activeAcne": True},
        {"en": "Active acne inflammation raises the risk of infection; it is treated first."},
        SAMPLE_DEFAULT,
    ),
}
# Every package's own rule: the plan is made for the scar types it treats.
SCAR_TYPE_MISMATCH = (
    {"scarTypesOutsidePackage": True},
    {
        "en": "Some of the patient's scar types are not among those this package treats; "
        "the consultation may change the plan.",
        "ko": "환자의 흉터 유형 중 일부는 이 패키지의 치료 대상이 아닙니다. 상담 후 계획이 바뀔 수 있습니다.",
        "zh": "患者的部分疤痕类型不在本套餐的治疗范围内；面诊后方案可能调整。",
        "ja": "患者の瘢痕タイプの一部はこのパッケージの対象外です。診察で計画が変わることがあります。",
    },
    {
        "kind": "seed",
        "quote": "Korean acne scar treatment is customized based on scar type",
        "note": "the package's scar types are the ones its plan is made for",
    },
)


def knowledge_from_procedures(procedures: list[dict]) -> dict:
    """What a package keeps of its procedures, in the shape the catalogue API serves them but
    with every text per language: the names, the longest downtime, the cautions (code ->
    (appliesWhen, text, source)), and the preparation, recovery and aftercare its care plan is
    dated from (per step the earliest start, per phase and aftercare step the longest), each
    with where it comes from."""
    cautions: dict[str, tuple[dict, dict, dict]] = {}
    preparation: dict[str, dict] = {}
    recovery: dict[str, dict] = {}
    aftercare: dict[str, dict] = {}
    for procedure in procedures:
        for caution in procedure.get("cautions", []):
            cautions.setdefault(caution["code"], (caution["appliesWhen"], caution["text"], caution.get("source")))
        for step in procedure.get("preparation", []):
            known = preparation.setdefault(
                step["code"],
                {
                    "code": step["code"],
                    "instruction": step["instruction"],
                    "days_before": 0,
                    "daily": False,
                    **stored_source(step.get("source")),
                },
            )
            known["days_before"] = max(known["days_before"], step["daysBefore"])
            known["daily"] = known["daily"] or step["daily"]
        for phase in procedure.get("recovery", []):
            kept = recovery.get(phase["phase"])
            if kept is None or phase["toDay"] > kept["to_day"]:
                recovery[phase["phase"]] = {
                    "phase": phase["phase"],
                    "from_day": phase["fromDay"],
                    "to_day": phase["toDay"],
                    "expectation": phase["expectation"],
                    **stored_source(phase.get("source")),
                }
        for step in procedure.get("aftercare", []):
            kept = aftercare.get(step["code"])
            if kept is None or step["hours"] > kept["hours"]:
                aftercare[step["code"]] = {
                    "code": step["code"],
                    "instruction": step["instruction"],
                    "hours": step["hours"],
                    **stored_source(step.get("source")),
                }
    order = {"IMMEDIATE": 0, "SHORT_TERM": 1, "LONG_TERM": 2}
    ranges = [p["sessionIntervalDays"] for p in procedures if p.get("sessionIntervalDays")]
    return {
        # The days between visits that suit every procedure of the package (None when they disagree).
        "interval_range": (max(r["min"] for r in ranges), min(r["max"] for r in ranges)) if ranges else None,
        "names": {p["code"]: p["name"] for p in procedures},
        "downtime_days": max(((p.get("downtimeDays") or {}).get("max", 0) for p in procedures), default=0),
        "cautions": cautions,
        "preparation": sorted(preparation.values(), key=lambda step: (-step["days_before"], step["code"])),
        "recovery": sorted(recovery.values(), key=lambda phase: order[phase["phase"]]),
        "aftercare": sorted(aftercare.values(), key=lambda step: step["code"]),
    }


def in_every_language(answers: dict[str, list[dict | None]]) -> list[dict]:
    """The procedures the catalogue served once per language (``{lang: items}``, the same items in
    the same order), merged into one list whose texts are ``{lang: text}``."""
    merged = []
    for index, procedure in enumerate(answers[FALLBACK]):
        if procedure is None:
            continue

        def texts(pick, index=index):
            return {lang: pick(items[index]) for lang, items in answers.items()}

        merged.append(
            {
                **procedure,
                "name": texts(lambda p: p["name"]),
                "cautions": [
                    {**c, "text": texts(lambda p, j=j: p["cautions"][j]["text"])}
                    for j, c in enumerate(procedure["cautions"])
                ],
                "preparation": [
                    {**s, "instruction": texts(lambda p, j=j: p["preparation"][j]["instruction"])}
                    for j, s in enumerate(procedure["preparation"])
                ],
                "recovery": [
                    {**r, "expectation": texts(lambda p, j=j: p["recovery"][j]["expectation"])}
                    for j, r in enumerate(procedure["recovery"])
                ],
                "aftercare": [
                    {**a, "instruction": texts(lambda p, j=j: p["aftercare"][j]["instruction"])}
                    for j, a in enumerate(procedure.get("aftercare", []))
                ],
            }
        )
    return merged


def screening_rules(cautions: dict[str, tuple[dict, dict, dict]], blocking: list[str]) -> list[dict]:
    """One rule per caution of the procedures, per code the package declares blocking, and the
    package's own scar-type rule; each says where it comes from."""
    known = {**cautions, "SCAR_TYPE_MISMATCH": SCAR_TYPE_MISMATCH}
    rules = []
    for code in sorted(set(known) | set(blocking)):
        applies_when, text, source = known.get(code) or DEFAULT_CAUTIONS[code]
        rules.append(
            {
                "code": code,
                "text": text,
                "applies_when": applies_when,
                "blocking": code in blocking,
                **stored_source(source),
            }
        )
    return rules


def stored_window(window: Window) -> dict:
    return {"min_days": window.min_days, "max_days": window.max_days}


def apply_knowledge(package: Package, knowledge: dict) -> None:
    blocking = package.screening.blocking if package.screening else []
    values = {
        "visit_window": stored_window(visit_window(package.session_interval_days, knowledge["interval_range"])),
        "procedure_names": knowledge["names"],
        "downtime_days": knowledge["downtime_days"],
        "screening_rules": screening_rules(knowledge["cautions"], blocking),
        "preparation": knowledge["preparation"],
        "recovery": knowledge["recovery"],
        "aftercare": knowledge["aftercare"],
    }
    for field, value in values.items():
        setattr(package, field, Package._fields[field].to_python(value))


def check_with_catalogue(clinic: str, items: list[dict]) -> dict:
    """The clinic exists and offers every procedure; returns what packages keep of the procedures.
    Raises UpstreamUnavailable when the catalogue cannot answer, before anything is written."""
    catalogue = client_for("catalogue")
    answer = catalogue.get(f"/clinics/{clinic}", params={"lang": "en"})
    if answer.status_code == 404:
        raise Problem(
            422,
            "UNKNOWN_CLINIC",
            f"The catalogue has no clinic {clinic!r}.",
            errors=[{"field": "clinic", "message": "unknown clinic"}],
        )
    answer.raise_for_status()
    offered = {p["code"] for p in answer.json()["procedures"]}
    missing = [
        {"field": f"items[{i}].procedure", "message": f"{item['procedure']} is not offered by {clinic}"}
        for i, item in enumerate(items)
        if item["procedure"] not in offered
    ]
    if missing:
        raise Problem(
            422, "PROCEDURE_NOT_OFFERED", "The clinic does not offer every procedure of the package.", errors=missing
        )
    codes = ",".join(sorted({item["procedure"] for item in items}))
    answers = {}
    for lang in LANGUAGES:  # every language a patient may read the package's texts in
        found = catalogue.get("/procedures", params={"ids": codes, "lang": lang})
        found.raise_for_status()
        answers[lang] = found.json()["items"]
    return knowledge_from_procedures(in_every_language(answers))
