"""Every clinic filter is served by an index, checked with explain on the query the service runs."""
from __future__ import annotations

import pytest

from services.catalogue import domain
from services.catalogue.models import Clinic
from tests.support import plan_stages

FILTERS = [
    ({"kind": "HOSPITAL"}, "kind"),
    ({"district": ["GANGNAM", "SINSA"]}, "district"),
    ({"district": ["MYEONGDONG"]}, "district"),
    ({"procedure": ["TCA_CROSS"]}, "procedure"),
    ({"scarType": "ROLLING"}, "procedure"),
    ({"language": "ja", "languageLevel": "inRoom"}, "language"),
    ({"language": "ja"}, "language"),
    ({"service": ["AIRPORT_PICKUP"]}, "service"),
    ({"accredited": True}, "accreditation"),
    ({"q": "oracle"}, "search"),
    ({}, "by_name"),
    ({"sort": "-district"}, "by_district"),
    ({"sort": "-updatedAt"}, "by_updated"),
]


@pytest.mark.parametrize("query,index", FILTERS, ids=[str(q) for q, _ in FILTERS])
def test_each_clinic_filter_uses_an_index(catalogue, with_synthetic, query, index):
    with_synthetic(50)
    with catalogue.app_context():
        sort = domain.clinic_sort(query)
        explained = Clinic._get_collection().find(domain.clinic_filter(query)).sort(sort.spec).limit(21).explain()
    stages = plan_stages(explained["queryPlanner"]["winningPlan"])
    assert ("IXSCAN", index) in stages
    assert not any(stage == "COLLSCAN" for stage, _ in stages)


def test_every_declared_index_exists_after_init(catalogue):
    with catalogue.app_context():
        names = set(Clinic._get_collection().index_information())
    assert {"kind", "district", "procedure", "language", "service", "accreditation", "search",
            "by_name", "by_district", "by_updated", "slug_1"} <= names
