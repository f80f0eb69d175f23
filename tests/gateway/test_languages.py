"""A ``lang`` argument holds for its field and what is beneath it, and for nothing else in the request."""

from __future__ import annotations

import json
from pathlib import Path

from services.packages.seed import seed_id
from tests.support import gql

SEED = Path(__file__).resolve().parents[2] / "seed"
CLINICS = {
    c["clinic"]["slug"]: c["clinic"]
    for c in json.loads((SEED / "catalogue" / "clinics.json").read_text(encoding="utf-8"))
}
ICEPICK = str(seed_id("oracle-icepick-tca-co2"))


def test_two_fields_asking_for_different_languages_each_get_their_own(gateway):
    query = """query L($id: ID!) {
      ko: clinic(slug: "oracle-skin-clinic", lang: "ko") { name }
      ja: clinic(slug: "oracle-skin-clinic", lang: "ja") { name }
      plain: clinic(slug: "oracle-skin-clinic") { name }
      package(id: $id, lang: "zh") { title clinic { name } items { procedure { name } } }
      english: package(id: $id) { clinic { name } } }"""
    answer = gql(gateway, query, {"id": ICEPICK}).json
    assert "errors" not in answer, answer
    data, names = answer["data"], CLINICS["oracle-skin-clinic"]["name"]
    assert [data[k]["name"] for k in ("ko", "ja", "plain")] == [names["ko"], names["ja"], names["en"]]
    assert data["package"]["clinic"]["name"] == names["zh"]
    assert data["package"]["items"][1]["procedure"]["name"] == "点阵CO2激光"
    assert data["english"]["clinic"]["name"] == names["en"]
    with_header = gql(gateway, query, {"id": ICEPICK}, headers={"Accept-Language": "ja"}).json["data"]
    assert with_header["plain"]["name"] == names["ja"] and with_header["ko"]["name"] == names["ko"]
