from __future__ import annotations

import pytest

from services.packages import seed
from services.packages.app import create_app
from services.packages.models import Package, PackageVersion
from tests.support import free_port


@pytest.fixture
def packages(make_app, catalogue_url):
    """A packages app on a fresh database with the seed, calling the real catalogue over HTTP."""
    return make_app("packages", create_app, seed.load_seed, service_urls={"catalogue": catalogue_url})


@pytest.fixture
def client(packages):
    return packages.test_client()


@pytest.fixture
def catalogue_down(make_app):
    """A packages app whose catalogue service cannot be reached."""
    return make_app("packages", create_app, seed.load_seed, http_timeout_seconds=0.5,
                    service_urls={"catalogue": f"http://127.0.0.1:{free_port()}"})


def stored(app) -> tuple[list, list]:
    """Every package and version as stored, to prove a refused request wrote nothing."""
    with app.app_context():
        return (list(Package._get_collection().find({}).sort("_id", 1)),
                list(PackageVersion._get_collection().find({}, {"_id": 0}).sort([("package_id", 1), ("version", 1)])))


ORACLE = "oracle-skin-clinic"
SEED_ORACLE_PACKAGE = str(seed.seed_id("oracle-icepick-tca-co2"))

NEW_PACKAGE = {
    "clinic": ORACLE,
    "title": {"en": "Boxcar scars: TCA CROSS and microneedling", "ko": "박스카 흉터 패키지"},
    "scarTypes": ["BOXCAR"],
    "items": [{"procedure": "TCA_CROSS", "sessions": 2}, {"procedure": "MICRONEEDLING", "sessions": 3}],
    "sessionIntervalDays": 21,
    "includes": ["CONSULTATION", "CALMING_MASK"],
    "priceKrw": 1_950_000,
    "interpreterOptions": [{"language": "en", "included": True}, {"language": "ja", "included": False, "pricePerSessionKrw": 55_000}],
    "followUpPlans": [{"code": "VIDEO_2", "kind": "REMOTE_VIDEO", "count": 2, "priceKrw": 70_000}],
    "cancellationPolicy": {"tiers": [{"daysBefore": 21, "refundPercent": 100}, {"daysBefore": 7, "refundPercent": 40},
                                     {"daysBefore": 0, "refundPercent": 0}]},
    "minimumStayDays": 4,
    "screening": {"blocking": ["RECENT_ISOTRETINOIN"]},
}
