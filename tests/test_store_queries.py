"""Every query a service makes on a request path is index-served: proved with ``explain``.

Each service's data-access module registers its queries (``services/<name>/store.py``). This
test runs every registered read on seeded data, captures the commands it sends to the database,
and explains each one: the plan must use an index and scan no collection. A read registered
without an example here fails the test, so a new query cannot escape it. Every registered write
must be led by its unique key (``explain`` of a write reports no plan worth checking on the
embedded server). Runs on the embedded server, and on MongoDB when ``MONGO_URI`` names one.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from bson import ObjectId

from services.bookings import seed as bookings_seed
from services.bookings import store as bookings_store
from services.bookings.app import create_app as bookings_app
from services.bookings.booking import BOOKING_SORT
from services.catalogue import seed as catalogue_seed
from services.catalogue import store as catalogue_store
from services.catalogue.app import create_app as catalogue_app
from services.common.clock import seoul_today, utc_date, utcnow
from services.common.config import Settings
from services.common.readmodel import read_model
from services.common.tokens import Principal, mint
from services.packages import seed as packages_seed
from services.packages import store as packages_store
from services.packages.app import create_app as packages_app
from services.packages.seed import seed_id
from services.webhooks import endpoints as webhook_endpoints
from services.webhooks import seed as webhooks_seed
from services.webhooks import store as webhooks_store
from services.webhooks.app import create_app as webhooks_app
from services.webhooks.dispatcher import delivery_for
from services.webhooks.sealing import sealer
from tests.support import RECORDER, assert_index_served, drop_databases, operations, run_examples, seed, stack


def test_every_write_is_led_by_a_unique_key():
    registries = (catalogue_store.registry, packages_store.registry, bookings_store.registry, webhooks_store.registry)
    for registry in registries:
        for operation in registry.writes().values():
            assert operation.index in (
                "_id_",
                "slug_1",
                "reference_1",
                "clinic_package_start",
                "package_version",
                "seq",  # the event log's numbers
            ), operation
    # And the same for the three services' models: each named unique index exists.
    from services.bookings.models import Booking, Slot
    from services.catalogue.models import Clinic
    from services.packages.models import PackageVersion

    assert any(index.get("unique") and index["fields"] == ["reference"] for index in Booking._meta["indexes"])
    assert any(index.get("unique") and index["fields"] == ["slug"] for index in Clinic._meta["indexes"])
    assert any(index.get("unique") and index.get("name") == "clinic_package_start" for index in Slot._meta["indexes"])
    assert any(
        index.get("unique") and index.get("name") == "package_version" for index in PackageVersion._meta["indexes"]
    )


def test_every_catalogue_query_is_index_served(make_app, mongo_client):
    def prepare():
        catalogue_seed.load_seed()
        catalogue_seed.load_synthetic(60)

    app = make_app("catalogue", catalogue_app, prepare)
    examples = {
        "clinic_by_slug": [lambda f: f("oracle-skin-clinic")],
        "clinics_by_slug": [lambda f: f(["oracle-skin-clinic", "synthetic-clinic-00007", "nowhere"])],
        "procedure_codes": [lambda f: f(["TCA_CROSS", "SUBCISION", "NOTHING"])],
        "procedure_codes_for": [lambda f: f("ROLLING")],
        "all_scar_types": [lambda f: f()],
        "scar_type_by_code": [lambda f: f("ICE_PICK")],
    }
    run_examples(app, catalogue_store.registry, examples, mongo_client, app.config["SETTINGS"].database)


def test_every_packages_query_is_index_served(make_app, mongo_client):
    def prepare():
        packages_seed.load_seed()
        packages_seed.load_synthetic(60)

    app = make_app("packages", packages_app, prepare)
    icepick = seed_id("oracle-icepick-tca-co2")
    examples = {
        "package_by_id": [lambda f: f(icepick)],
        "packages_by_id": [lambda f: f([icepick, seed_id("synthetic:3"), ObjectId()])],
        "packages_in_listings": [
            lambda f: f(["oracle-skin-clinic:PUBLISHED"]),
            lambda f: f(["oracle-skin-clinic:DRAFT", "synthetic-clinic-00002:DRAFT"]),
        ],
        "version": [lambda f: f(str(icepick), 1)],
        "current_rates": [lambda f: f()],
        "quote_by_id": [lambda f: f(ObjectId())],
        "locked_quotes": [lambda f: f("", 500), lambda f: f("CB-00000000", 500)],
        "outbox_events": [lambda f: f(100)],
        "event_logged": [lambda f: f("0" * 32)],
        "counter": [lambda f: f()],
        "numbers_past": [lambda f: f(0)],
        "event_numbered": [lambda f: f(1)],
        "events_between": [
            lambda f: f({"clinic": "oracle-skin-clinic"}, 0, 500),
            lambda f: f({"public": True}, 0, 500),
            lambda f: f({}, 0, 500),
        ],
    }
    run_examples(app, packages_store.registry, examples, mongo_client, app.config["SETTINGS"].database)


def test_every_bookings_query_is_index_served(make_app, mongo_client):
    app = make_app("bookings", bookings_app, lambda: bookings_seed.load_synthetic(200))
    now = utcnow()
    with app.app_context():
        slot = bookings_store.slots().find_one({"clinic": "synthetic-clinic-00003"})
        bookings_store.insert_booking(
            {
                "reference": "CB-EXAMPLE1",
                "agency": "seoul-trips",
                "clinic": slot["clinic"],
                "status": "PENDING",
                "created_key": f"{now.isoformat()}:CB-EXAMPLE1",
            }
        )
    first = bookings_store.offer(slot["clinic"], None)
    page = {"sort": BOOKING_SORT, "limit": 20, "cursor": None, "with_total": True}
    examples = {
        "slot_by_id": [lambda f: f(slot["_id"])],
        "slots_by_id": [lambda f: f([slot["_id"]])],
        "bookable_slots": [
            lambda f: f([f"{first}:{week}" for week in bookings_store.weeks_between(now, now + timedelta(days=30))])
        ],
        "bookable_slots_on": [
            lambda f: f([f"{first}:{day}" for day in bookings_store.days_between(now, now + timedelta(days=3))])
        ],
        "clinic_slots": [lambda f: f(slot["clinic"], now, now + timedelta(days=30))],
        "slots_proposing": [lambda f: f(500)],
        "expired_claims": [lambda f: f(now, 500)],
        "claims_in_flight": [lambda f: f()],
        "sweep_totals": [lambda f: f()],
        "claim_of": [lambda f: f("CB-EXAMPLE1")],
        "claim_by_hold": [lambda f: f("0" * 32)],
        "units_by_id": [lambda f: f(["time|0|2027-01-01T10:00:00+09:00", "week|p|c|2027-W01"])],
        "interpreter_units": [lambda f: f(str(ObjectId()), "2027-01-01T10:00:00+09:00")],
        "interpreters_serving": [lambda f: f(["oracle-skin-clinic:ja", "oracle-skin-clinic:en"])],
        "interpreters_by_id": [lambda f: f([ObjectId()])],
        "interpreters_of": [lambda f: f("clinic:oracle-skin-clinic")],
        "providers_by_id": [lambda f: f(["seoul-medical-interpreters"])],
        "consultation_hours_of": [lambda f: f("oracle-skin-clinic")],
        "consultation_hours_of_clinics": [lambda f: f(["oracle-skin-clinic", "gangnam-glow-dermatology"])],
        "providers_serving": [lambda f: f("oracle-skin-clinic")],
        "every_provider": [lambda f: f()],
        "booking_by_reference": [lambda f: f("CB-EXAMPLE1"), lambda f: f("CB-EXAMPLE1", {"status": 1})],
        "bookings_by_reference": [lambda f: f(["CB-EXAMPLE1", "CB-NOTHING1"])],
        "booking_page": [
            lambda f, find=find: f(find, **page)
            for find in (
                bookings_store.booking_filter("seoul-trips", None, None),
                bookings_store.booking_filter("seoul-trips", slot["clinic"], None),
                bookings_store.booking_filter("seoul-trips", None, "PENDING"),
                bookings_store.booking_filter("seoul-trips", slot["clinic"], "PENDING"),
                bookings_store.booking_filter(None, slot["clinic"], None),
                bookings_store.booking_filter(None, slot["clinic"], "BOOKED"),
                bookings_store.booking_filter(None, None, "CANCELLED"),
            )
        ]
        + [lambda f: f({}, BOOKING_SORT, limit=20, cursor=None, with_total=False)],
        "key_by_id": [lambda f: f("seoul-trips:key-1")],
        "registrations_by_id": [lambda f: f(["facilitator:seoul-trips", "institution:synthetic-clinic-00003"])],
        "registrations_to_warn": [lambda f: f(seoul_today().isoformat(), 200)],
        "agreement_by_id": [lambda f: f("seoul-trips:oracle-skin-clinic")],
        "agency_bookings_between": [lambda f: f("seoul-trips", now, now + timedelta(days=31))],
        "clinic_bookings_between": [lambda f: f(slot["clinic"], now, now + timedelta(days=366))],
        "pending_outboxes": [lambda f: f(100)],
        "outbox_events": [lambda f: f(100)],
        "event_logged": [lambda f: f("0" * 32)],
        "counter": [lambda f: f()],
        "numbers_past": [lambda f: f(0)],
        "event_numbered": [lambda f: f(1)],
        "events_between": [
            lambda f: f({"agency": "seoul-trips"}, 0, 500),
            lambda f: f({"clinic": "oracle-skin-clinic"}, 0, 500),
            lambda f: f({}, 0, 500),
        ],
    }
    run_examples(app, bookings_store.registry, examples, mongo_client, app.config["SETTINGS"].database)


def test_every_webhooks_query_is_index_served(make_app, mongo_client):
    agency = Principal(role="AGENCY", subject="t", agency="seoul-trips")
    event = {"id": "e" * 32, "type": "booking.created", "at": "2026-11-24T10:00:00Z", "resource": {}, "data": {}}

    def prepare():
        webhooks_seed.ensure_indexes()
        for n in range(30):
            endpoint, _ = webhook_endpoints.create(
                {"url": f"http://127.0.0.1:9/{n}", "events": ["booking.created"]},
                agency,
                production=False,
                sealer=sealer(Settings("webhooks")),
            )
            webhooks_store.insert_deliveries([delivery_for(endpoint, event, utcnow(), timedelta(hours=1))])

    app = make_app("webhooks", webhooks_app, prepare)
    with app.app_context():
        some = webhooks_store.endpoints().find_one()
    now = utcnow()
    examples = {
        "endpoint_by_id": [lambda f: f(some["_id"])],
        "endpoint_page": [
            lambda f: f({"owner": "agency:seoul-trips"}, limit=20, cursor=None),
            lambda f: f({"state": "FAILING"}, limit=20, cursor=None),
            lambda f: f({}, limit=20, cursor=None),
        ],
        "endpoints_of": [lambda f: f("agency:seoul-trips", "booking.created")],
        "endpoints_of_kind": [lambda f: f("agency", "booking.created")],
        "claim_due": [lambda f: f(now - timedelta(days=1), now, "test")],
        "delivery_by_id": [lambda f: f(f"{some['_id']}:{'e' * 32}")],
        "deliveries_on": [lambda f: f(some["_id"], utc_date(now).isoformat())],
        "feed_position": [lambda f: f("bookings")],
        "feed_positions": [lambda f: f(("bookings", "packages"))],
        "backlog": [lambda f: f()],
        "failing_endpoints": [lambda f: f()],
        "deferred_of": [lambda f: f(some["_id"])],
        "lanes_by_id": [lambda f: f([f"{some['_id']}:0", f"{some['_id']}:1"])],
    }
    run_examples(app, webhooks_store.registry, examples, mongo_client, app.config["SETTINGS"].database)


def test_a_query_that_would_scan_fails_the_check(make_app, mongo_client):
    """The check itself: a filter whose fields are not one index's is caught."""
    app = make_app("bookings", bookings_app, lambda: bookings_seed.load_synthetic(50))
    with app.app_context(), RECORDER.recording() as commands:
        list(
            bookings_store.slots().find(
                {"clinic": "synthetic-clinic-00001", "free": {"$gt": 0}, "start": {"$gt": utcnow()}}
            )
        )
    with pytest.raises(AssertionError, match="not index-served|scans"):
        assert_index_served(mongo_client, app.config["SETTINGS"].database, commands, "a scanning query")


# -- a constant number of database operations per batch request ---------------------------------


@pytest.fixture(scope="module")
def synthetic_packages_url(mongo_uri, mongo_client, catalogue_url):
    """A packages service of its own with 600 synthetic packages, one per synthetic clinic."""
    env = {
        "MONGO_URI": mongo_uri,
        "PACKAGES_DB_NAME": f"test_packages_600_{ObjectId()}",
        "CATALOGUE_URL": catalogue_url,
    }
    seed(env, ("packages",), synthetic={"packages": 600})
    try:
        with stack(env, ("packages",)) as urls:
            yield urls["packages"]
    finally:
        drop_databases(mongo_client, env)


def test_next_free_slots_cost_the_same_few_queries_for_1_or_60_packages(make_app, synthetic_packages_url):
    from services.bookings.slots import NEXT_FREE_WINDOWS

    app = make_app(
        "bookings",
        bookings_app,
        lambda: bookings_seed.load_synthetic(5000),  # slots at the first 500 synthetic clinics
        min_notice_hours=24,
        service_urls={"packages": synthetic_packages_url},
    )
    client = app.test_client()
    ids = [str(seed_id(f"synthetic:{n}")) for n in range(600)]
    packages = [
        package
        for start in range(0, 600, 100)
        for package in requests.get(
            f"{synthetic_packages_url}/packages", params={"ids": ",".join(ids[start : start + 100])}, timeout=30
        ).json()["items"]
    ]
    with_slots, without = packages[:500], packages[500:]
    single = [p for p in with_slots if p["schedule"]["visits"] == 1]
    series = [p for p in with_slots if p["schedule"]["visits"] > 1]

    def ask(chosen: list[dict], follow_up: bool = False):
        body = {
            "packages": [
                {
                    "packageId": p["id"],
                    "clinic": p["clinic"],
                    **({"followUp": p["followUpPlans"][0]["kind"]} if follow_up else {}),
                }
                for p in chosen
            ]
        }
        return lambda: client.post("/availability/next", json=body)

    assert len(single) >= 60 and len(series) >= 60 and len(without) >= 60
    # Single visits: their slots in the next days, then the next fortnight: at most two queries, for any number.
    assert operations(ask(single[:1])) <= operations(ask(single[:60])) <= 2
    # Series: in each search window, one more query per later visit, whatever the number of packages (a
    # synthetic clinic's ten slots are weekly: longer series have no plan, and every window is tried for them).
    most = max(p["schedule"]["visits"] for p in series[:60])
    assert operations(ask(series[:1])) <= operations(ask(series[:60])) <= (1 + len(NEXT_FREE_WINDOWS)) * most
    # With the follow-up plan each package offers: at most one more query for the seats of every in-person
    # follow-up's window, and two for the calls (the clinics' consultation hours, the calls taken).
    kinds = {p["followUpPlans"][0]["kind"] for p in series[:60]}
    assert {"IN_PERSON", "REMOTE_VIDEO"} <= kinds
    assert operations(ask(single[:60], True)) <= 2 + 3
    assert (
        operations(ask(series[:1], True))
        <= operations(ask(series[:60], True))
        <= (1 + len(NEXT_FREE_WINDOWS)) * most + 3
    )
    # Packages at clinics with no slot at all are looked for in every window: the same count for any number.
    assert operations(ask(without[:1])) == operations(ask(without[:60])) == 1 + len(NEXT_FREE_WINDOWS)
    found = client.post(
        "/availability/next",
        json={"packages": [{"packageId": single[0]["id"], "clinic": single[0]["clinic"]}]},
    ).json["items"]
    assert found[0]["clinic"] == single[0]["clinic"]


def test_batch_lookups_cost_one_query_whatever_their_size(make_app):
    catalogue = make_app(
        "catalogue", catalogue_app, lambda: (catalogue_seed.load_seed(), catalogue_seed.load_synthetic(100))
    )
    packages = make_app(
        "packages", packages_app, lambda: (packages_seed.load_seed(), packages_seed.load_synthetic(100))
    )
    bookings = make_app("bookings", bookings_app, bookings_seed.ensure_indexes)
    slugs = [f"synthetic-clinic-{n:05d}" for n in range(1, 101)]
    ids = [str(seed_id(f"synthetic:{n}")) for n in range(100)]
    references = [f"CB-{n:08d}" for n in range(100)]
    unknown = [str(ObjectId()) for _ in range(100)]
    # Listed packages come from the packages read model once it has loaded (no query at all); the
    # others (drafts, archived, unknown) from the database, in one query. Loaded first, so that the
    # count does not depend on how far the model got.
    with packages.app_context():
        read_model("packages").require(30)
    cases = [
        (catalogue.test_client(), "/clinics", slugs, 1),
        (packages.test_client(), "/packages", ids, 0),
        (packages.test_client(), "/packages", unknown, 1),
    ]
    for client, path, keys, queries in cases:
        one = operations(lambda: client.get(path, query_string={"ids": keys[0]}))
        many = operations(lambda: client.get(path, query_string={"ids": ",".join(keys)}))
        assert one == many == queries, (path, one, many)
    token = mint(Principal(role="PLATFORM_ADMIN", subject="admin"), bookings.config["SETTINGS"].token_secret, 60)
    client, headers = bookings.test_client(), {"Authorization": f"Bearer {token}"}
    assert (
        operations(lambda: client.get("/bookings", query_string={"ids": references[0]}, headers=headers))
        == operations(lambda: client.get("/bookings", query_string={"ids": ",".join(references)}, headers=headers))
        == 1
    )


def test_listings_read_no_database_at_all(make_app):
    """Sorted, filtered and counted listings are answered by the read models, at any catalogue size."""
    catalogue = make_app(
        "catalogue", catalogue_app, lambda: (catalogue_seed.load_seed(), catalogue_seed.load_synthetic(100))
    )
    packages = make_app(
        "packages", packages_app, lambda: (packages_seed.load_seed(), packages_seed.load_synthetic(100))
    )
    clinics, offers = catalogue.test_client(), packages.test_client()
    clinics.get("/clinics")  # loads the read model
    offers.post("/packages/search", json={})
    for query in (
        {},
        {"district": "GANGNAM,APGUJEONG", "total": "true"},
        {"q": "oracle"},
        {"language": "ja", "languageLevel": "inRoom"},
        {"service": "AIRPORT_PICKUP", "sort": "-updatedAt", "total": "true"},
        {"kind": "HOSPITAL", "accredited": "true"},
    ):
        assert operations(lambda: clinics.get("/clinics", query_string=query)) == 0, query
    for body in (
        {},
        {"sort": "-updatedAt", "total": True},
        {"procedure": ["TCA_CROSS"], "scarType": "ICE_PICK"},
        {"clinic": ["oracle-skin-clinic"], "maxSessions": 3, "total": True},
        {"interpreterLanguage": "ja", "sort": "pricePerSession"},
    ):
        assert operations(lambda: offers.post("/packages/search", json=body)) == 0, body
    for query in (
        {},
        {"ids": "TCA_CROSS,SUBCISION,PRP"},
        {"category": "LASER", "scarType": "ROLLING", "total": "true"},
    ):
        assert operations(lambda: clinics.get("/procedures", query_string=query)) == 0, query
    assert operations(lambda: clinics.get("/procedures/TCA_CROSS")) == 0
    # A price range in another currency reads the current rates: one point lookup.
    assert operations(lambda: offers.post("/packages/search", json={"minPrice": 500, "currency": "USD"})) == 1
