"""Clinic admins manage their own packages; every change raises the version; old versions stay."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from tests.support import ORACLE, PACKAGE_BODY, SEED_ORACLE_PACKAGE, stored_packages

SEED = Path(__file__).resolve().parents[2] / "seed"


def admin(bearer, clinic=ORACLE):
    return bearer("CLINIC_ADMIN", clinic=clinic)


def create(client, bearer, body=None):
    answer = client.post("/packages", json=body or PACKAGE_BODY, headers=admin(bearer))
    assert answer.status_code == 201, answer.json
    return answer.json


def test_a_clinic_admin_creates_a_draft_that_only_its_clinic_sees(client, bearer):
    draft = create(client, bearer)
    assert (draft["status"], draft["version"]) == ("DRAFT", 1)
    assert draft["schedule"] == {
        "visits": 3,
        "intervalDays": 21,
        "tripsNeeded": 3,
        "minimumStayDays": 4,
        "totalDays": 46,
    }
    assert draft["pricePerSessionKrw"] == 650_000
    # From the catalogue: TCA CROSS has the longest downtime; its cautions become screening rules.
    assert draft["downtimeDays"] == 7
    rules = {rule["code"]: rule["blocking"] for rule in draft["screeningRules"]}
    assert rules == {
        "DARKER_SKIN_PIH": False,
        "RECENT_ISOTRETINOIN": True,
        "ACTIVE_ACNE": False,
        "AFTERCARE_INFECTION": False,  # guidance, from the seed
        "SCAR_TYPE_MISMATCH": False,  # every package's own rule
    }
    sources = {rule["code"]: rule["source"]["kind"] for rule in draft["screeningRules"]}
    assert sources["RECENT_ISOTRETINOIN"] == "sample" and sources["DARKER_SKIN_PIH"] == "seed"
    # Preparation and recovery come from the knowledge base too, for the care plan.
    steps = {step["code"]: (step["daysBefore"], step["daily"]) for step in draft["preparation"]}
    assert steps["STOP_RETINOIDS"] == (5, False) and steps["DAILY_SUNSCREEN"] == (14, True)
    assert [(r["phase"], r["fromDay"], r["toDay"]) for r in draft["recovery"]] == [
        ("IMMEDIATE", 1, 3),
        ("SHORT_TERM", 4, 14),
        ("LONG_TERM", 15, 180),
    ]

    assert client.get(f"/packages/{draft['id']}").status_code == 404
    assert client.get(f"/packages/{draft['id']}", headers=admin(bearer, "asan-medical-center")).status_code == 404
    assert client.get(f"/packages/{draft['id']}", headers=admin(bearer)).json["status"] == "DRAFT"
    public = {p["id"] for p in client.get(f"/packages?clinic={ORACLE}&limit=100").json["items"]}
    assert draft["id"] not in public
    drafts = client.get(f"/packages?clinic={ORACLE}&status=DRAFT", headers=admin(bearer)).json["items"]
    assert [p["id"] for p in drafts] == [draft["id"]]
    assert client.get(f"/packages?clinic={ORACLE}&status=DRAFT").status_code == 403
    assert (
        client.get(f"/packages?clinic={ORACLE}&status=DRAFT", headers=admin(bearer, "id-dermatology")).status_code
        == 403
    )
    assert client.get(f"/packages?ids={draft['id']}").json["items"] == [None]


def test_publishing_makes_a_package_searchable(client, bearer):
    draft = create(client, bearer)
    published = client.post(f"/packages/{draft['id']}/publish", headers=admin(bearer))
    assert published.status_code == 200
    assert published.json["status"] == "PUBLISHED" and published.json["version"] == 1
    found = client.get("/packages?scarType=BOXCAR&procedure=MICRONEEDLING&limit=100").json["items"]
    assert draft["id"] in {p["id"] for p in found}


def test_editing_a_published_package_raises_its_version_and_keeps_the_old_one(client, bearer):
    before = client.get(f"/packages/{SEED_ORACLE_PACKAGE}").json
    assert before["version"] == 1
    edited = client.patch(
        f"/packages/{SEED_ORACLE_PACKAGE}",
        headers=admin(bearer),
        json={"priceKrw": 2_600_000, "title": {"en": "Ice-pick & boxcar, 2027 edition"}},
    )
    assert edited.status_code == 200, edited.json
    assert (edited.json["version"], edited.json["priceKrw"], edited.headers["ETag"]) == (2, 2_600_000, '"2"')
    assert edited.json["status"] == "PUBLISHED"
    old = client.get(f"/packages/{SEED_ORACLE_PACKAGE}/versions/1").json
    assert old == before
    assert client.get(f"/packages/{SEED_ORACLE_PACKAGE}/versions/2").json["priceKrw"] == 2_600_000
    assert client.get(f"/packages/{SEED_ORACLE_PACKAGE}/versions/3").status_code == 404


def test_draft_versions_are_only_for_the_clinic(client, bearer):
    draft = create(client, bearer)
    assert client.get(f"/packages/{draft['id']}/versions/1").status_code == 404
    assert client.get(f"/packages/{draft['id']}/versions/1", headers=admin(bearer)).status_code == 200


def test_illegal_status_changes_are_409(client, bearer):
    draft = create(client, bearer)
    assert client.post(f"/packages/{draft['id']}/archive", headers=admin(bearer)).status_code == 200
    for action in ("publish", "archive"):
        answer = client.post(f"/packages/{draft['id']}/{action}", headers=admin(bearer))
        assert answer.status_code == 409
        assert answer.json["code"] == "INVALID_TRANSITION"
    assert (
        client.post(f"/packages/{SEED_ORACLE_PACKAGE}/publish", headers=admin(bearer)).json["code"]
        == "INVALID_TRANSITION"
    )
    changed = client.patch(f"/packages/{draft['id']}", json={"priceKrw": 1}, headers=admin(bearer))
    assert changed.status_code == 409 and changed.json["code"] == "PACKAGE_ARCHIVED"


def test_a_clinic_admin_cannot_touch_another_clinics_package(packages, client, bearer):
    before = stored_packages(packages)
    other = admin(bearer, "banobagi-dermatology")
    assert client.patch(f"/packages/{SEED_ORACLE_PACKAGE}", json={"priceKrw": 1}, headers=other).status_code == 403
    assert client.post(f"/packages/{SEED_ORACLE_PACKAGE}/archive", headers=other).status_code == 403
    assert client.post("/packages", json=PACKAGE_BODY, headers=other).status_code == 403
    assert (
        client.post("/packages", json=PACKAGE_BODY, headers=bearer("AGENCY", agency="seoul-trips")).status_code == 403
    )
    assert client.post("/packages", json=PACKAGE_BODY).status_code == 401
    assert client.patch(f"/packages/{SEED_ORACLE_PACKAGE}", json={"priceKrw": 1}).status_code == 401
    assert stored_packages(packages) == before


def test_procedures_the_clinic_does_not_offer_are_refused(packages, client, bearer):
    before = stored_packages(packages)
    body = copy.deepcopy(PACKAGE_BODY)
    body["items"].append({"procedure": "STEROID_INJECTION", "sessions": 1})
    answer = client.post("/packages", json=body, headers=admin(bearer))
    assert answer.status_code == 422
    assert answer.json["code"] == "PROCEDURE_NOT_OFFERED"
    assert answer.json["errors"] == [
        {"field": "items[2].procedure", "message": "STEROID_INJECTION is not offered by oracle-skin-clinic"}
    ]
    unknown = client.post(
        "/packages", json={**PACKAGE_BODY, "clinic": "no-such-clinic"}, headers=bearer("PLATFORM_ADMIN")
    )
    assert unknown.status_code == 422 and unknown.json["code"] == "UNKNOWN_CLINIC"
    assert stored_packages(packages) == before


def test_an_unreachable_catalogue_is_503_and_nothing_is_written(catalogue_down, bearer):
    client = catalogue_down.test_client()
    before = stored_packages(catalogue_down)
    answer = client.post("/packages", json=PACKAGE_BODY, headers=admin(bearer))
    assert answer.status_code == 503
    assert answer.json["code"] == "UPSTREAM_UNAVAILABLE"
    assert answer.json["detail"] == "The catalogue service is unavailable; try again shortly."
    assert "127.0.0.1" not in answer.get_data(as_text=True)
    changed = client.patch(
        f"/packages/{SEED_ORACLE_PACKAGE}",
        headers=admin(bearer),
        json={"items": [{"procedure": "TCA_CROSS", "sessions": 4}]},
    )
    assert changed.status_code == 503
    assert stored_packages(catalogue_down) == before


def test_a_stale_if_match_is_refused(packages, client, bearer):
    assert (
        client.patch(
            f"/packages/{SEED_ORACLE_PACKAGE}",
            json={"priceKrw": 2_500_000},
            headers={**admin(bearer), "If-Match": '"1"'},
        ).status_code
        == 200
    )
    before = stored_packages(packages)
    stale = client.patch(
        f"/packages/{SEED_ORACLE_PACKAGE}", json={"priceKrw": 2_000_000}, headers={**admin(bearer), "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stored_packages(packages) == before


def test_bad_package_bodies_are_refused_and_write_nothing(packages, client, bearer):
    before = stored_packages(packages)
    cases = [
        ({**PACKAGE_BODY, "priceKrw": 1999.5}, 400, {"priceKrw"}),
        ({**PACKAGE_BODY, "priceKrw": "2000000"}, 400, {"priceKrw"}),
        ({**PACKAGE_BODY, "items": [{"procedure": "TCA_CROSS", "sessions": 0, "$inc": 1}]}, 400, {"items[0].$inc"}),
        ({**PACKAGE_BODY, "clinic": {"$ne": None}}, 400, {"clinic.$ne"}),
        ({**PACKAGE_BODY, "discount": 10}, 400, {"discount"}),
        (
            {**PACKAGE_BODY, "interpreterOptions": [{"language": "ja", "included": False}]},
            400,
            {"interpreterOptions[0].pricePerSessionKrw"},
        ),
        ({**PACKAGE_BODY, "followUpPlans": PACKAGE_BODY["followUpPlans"] * 2}, 400, {"followUpPlans[1].code"}),
    ]
    for body, status, fields in cases:
        answer = client.post("/packages", json=body, headers=admin(bearer))
        assert answer.status_code == status, (body, answer.json)
        assert fields <= {e["field"] for e in answer.json["errors"]}, answer.json
    assert (
        client.post("/packages", data="{", content_type="application/json", headers=admin(bearer)).json["code"]
        == "MALFORMED_JSON"
    )
    assert client.post("/packages", data="x", content_type="text/plain", headers=admin(bearer)).status_code == 415
    huge = {**PACKAGE_BODY, "description": {"en": "x" * 70_000}}
    assert client.post("/packages", json=huge, headers=admin(bearer)).status_code == 413
    assert stored_packages(packages) == before


def test_a_package_keeps_its_procedures_texts_in_every_language(client, bearer):
    """The catalogue's names, preparation and recovery texts and cautions come back in the language
    asked for, for a package written through the API as for a seeded one."""
    seed = {p["code"]: p for p in json.loads((SEED / "catalogue" / "procedures.json").read_text(encoding="utf-8"))}
    draft = create(client, bearer)
    for ident, headers in ((draft["id"], admin(bearer)), (SEED_ORACLE_PACKAGE, {})):
        for lang in ("ja", "ko", "zh"):
            package = client.get(f"/packages/{ident}?lang={lang}", headers=headers).json
            assert [i["name"] for i in package["items"]] == [
                seed[i["procedure"]]["name"][lang] for i in package["items"]
            ]
            first = seed[package["items"][0]["procedure"]]
            instructions = {s["code"]: s["instruction"][lang] for p in seed.values() for s in p["preparation"]}
            assert all(step["instruction"] == instructions[step["code"]] for step in package["preparation"]), package[
                "preparation"
            ]
            immediate = next(r for r in first["recovery"] if r["phase"] == "IMMEDIATE")
            assert package["recovery"][0]["expectation"] == immediate["expectation"][lang]
            cautions = {c["code"]: c["text"][lang] for p in seed.values() for c in p["cautions"]}
            assert all(
                rule["text"] == cautions[rule["code"]] for rule in package["screeningRules"] if rule["code"] in cautions
            )
    english = client.get(f"/packages/{SEED_ORACLE_PACKAGE}?lang=en").json
    assert [i["name"] for i in english["items"]] == ["TCA CROSS (chemical reconstruction)", "Fractional CO₂ laser"]
