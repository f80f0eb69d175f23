"""Health endpoints, the seed loader, OpenAPI."""

from __future__ import annotations

import json
from pathlib import Path

from services.catalogue import seed
from services.catalogue.app import create_app
from services.catalogue.models import Clinic, Procedure, ScarType
from services.common.config import Settings
from tests.support import assert_openapi_refs_resolve

ROOT = Path(__file__).resolve().parents[2]


def test_readyz_reports_an_unreachable_database(free_port_factory=None):
    from tests.support import free_port

    settings = Settings(
        service="catalogue",
        mongo_uri=f"mongodb://127.0.0.1:{free_port()}",
        database="nowhere",
        mongo_timeout_ms=300,
        log_level="WARNING",
    )
    client = create_app(settings).test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["code"] == "DATABASE_UNAVAILABLE"
    assert "127.0.0.1" not in ready.get_data(as_text=True)
    listing = client.get("/clinics")
    assert listing.status_code == 503
    assert listing.json["code"] == "DATABASE_UNAVAILABLE"
    assert listing.headers["Retry-After"] == "2"


def test_readyz_is_ready_with_a_database(client):
    assert client.get("/readyz").json == {"status": "ready"}


def test_loading_the_seed_twice_writes_nothing_the_second_time(catalogue):
    with catalogue.app_context():
        again = seed.load_seed()
        assert again == {"scarTypes": 0, "procedures": 0, "clinics": 0}
        assert Clinic.objects.count() == 5
        assert Procedure.objects.count() == 17
        assert ScarType.objects.count() == 6
        assert seed.load_synthetic(30) == 30
        assert seed.load_synthetic(30) == 0
        assert Clinic.objects(source="synthetic").count() == 30


def test_a_second_seed_never_overwrites_a_clinic_admins_edit(catalogue, client, bearer):
    client.patch(
        "/clinics/asan-medical-center",
        json={"knownFor": {"en": "Edited by the clinic"}},
        headers=bearer("CLINIC_ADMIN", clinic="asan-medical-center"),
    )
    with catalogue.app_context():
        seed.load_seed()
    assert client.get("/clinics/asan-medical-center").json["knownFor"] == "Edited by the clinic"


def test_the_seed_holds_the_whole_knowledge_of_the_source(client):
    scar_types = {s["code"] for s in client.get("/scar-types").json["items"]}
    assert scar_types == {"ICE_PICK", "BOXCAR", "ROLLING", "HYPERTROPHIC", "PIH", "PIE"}
    procedures = {p["code"]: p for p in client.get("/procedures?limit=100").json["items"]}
    assert set(procedures) == {
        "FRACTIONAL_CO2_LASER",
        "ERBIUM_LASER",
        "MICRONEEDLING",
        "RF_MICRONEEDLING",
        "PRP",
        "SUBCISION",
        "TCA_CROSS",
        "HA_FILLER",
        "STEROID_INJECTION",
        "LASER_TONING",
        "CHEMICAL_PEEL",
        "LED_THERAPY",
        "TOPICAL_RETINOID",
        "AZELAIC_ACID",
        "HYDROQUINONE",
        "ORAL_ISOTRETINOIN",
        "ORAL_ANTIBIOTICS",
    }
    assert procedures["TCA_CROSS"]["indications"] == ["ICE_PICK"]
    assert procedures["ORAL_ISOTRETINOIN"]["category"] == "ORAL"
    co2 = procedures["FRACTIONAL_CO2_LASER"]
    assert co2["typicalSessions"] == {"min": 3, "max": 6}
    assert {"STOP_RETINOIDS", "STOP_EXFOLIANTS", "DAILY_SUNSCREEN"} <= {s["code"] for s in co2["preparation"]}
    assert [r["phase"] for r in co2["recovery"]] == ["IMMEDIATE", "SHORT_TERM", "LONG_TERM"]
    assert "Persistent redness with aggressive lasers" in co2["risks"]["rare"]
    assert {c["code"] for c in co2["cautions"]} >= {"DARKER_SKIN_PIH", "RECENT_ISOTRETINOIN"}
    # Numbers the source does not give are marked as sample data.
    assert co2["source"] == "sample" and "sessionIntervalDays" in co2["sampleFields"]
    # The seed is English; texts in other languages are ours, and marked so.
    japanese = client.get("/procedures/FRACTIONAL_CO2_LASER?lang=ja").json
    assert "translations" in co2["sampleFields"] and japanese["name"] == "フラクショナルCO2レーザー"
    assert (
        japanese["recovery"][0]["expectation"].startswith("施術により")
        and japanese["cautions"][0]["text"] != co2["cautions"][0]["text"]
    )
    clinics = client.get("/clinics?limit=100").json["items"]
    assert {(c["slug"], c["kind"]) for c in clinics} == {
        ("seoul-national-university-hospital-dermatology", "HOSPITAL"),
        ("asan-medical-center", "HOSPITAL"),
        ("oracle-skin-clinic", "PRIVATE_CLINIC"),
        ("banobagi-dermatology", "PRIVATE_CLINIC"),
        ("id-dermatology", "PRIVATE_CLINIC"),
    }
    assert all(c["source"] == "seed" and c["sampleFields"] for c in clinics)


def test_openapi_lists_every_route_and_every_reference_resolves(client):
    document = client.get("/openapi.json").json
    assert document["openapi"] == "3.1.0"
    assert {
        "/clinics",
        "/clinics/{slug}",
        "/procedures",
        "/procedures/{code}",
        "/scar-types",
        "/scar-types/{code}",
        "/healthz",
        "/readyz",
    } <= set(document["paths"])
    assert set(document["paths"]["/clinics/{slug}"]) == {"get", "patch"}
    params = {p["name"] for p in document["paths"]["/clinics"]["get"]["parameters"]}
    assert {
        "kind",
        "district",
        "procedure",
        "scarType",
        "language",
        "languageLevel",
        "service",
        "accredited",
        "q",
        "sort",
        "limit",
        "cursor",
        "ids",
    } <= params
    assert_openapi_refs_resolve(document)


def test_every_request_schema_rejects_unknown_fields():
    for path in (ROOT / "schemas").rglob("*.json"):
        schema = json.loads(path.read_text())

        def walk(node, where, path=path):
            if isinstance(node, dict):
                if node.get("type") == "object" and "properties" in node and where != "fields":
                    assert node.get("additionalProperties") is False or node.get("unevaluatedProperties") is False, (
                        path,
                        where,
                    )
                for key, value in node.items():
                    walk(value, key, path)
            elif isinstance(node, list):
                for item in node:
                    walk(item, where, path)

        # *-fields.json are only ever used through create/update, which close them with unevaluatedProperties.
        walk(schema, "fields" if path.name.endswith("-fields.json") else "root")
