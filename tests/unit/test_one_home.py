"""Each rule has one home, and the modules that decided it before now ask it."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

from flask import Flask

from services.bookings import events, reschedule, slots, store
from services.catalogue.models import Caution
from services.common import care, lifecycle, pagination, visibility
from services.common.tokens import Principal
from services.packages import events as package_events
from services.packages import models, packages, prices, quotes, render, search
from services.packages.models import ScreeningRule

ROOT = Path(__file__).resolve().parents[2]
ORACLE_ADMIN = Principal(subject="a", role="CLINIC_ADMIN", clinic="oracle-skin-clinic")
AGENCY = Principal(subject="b", role="AGENCY", agency="seoul-trips")
PLATFORM = Principal(subject="c", role="PLATFORM_ADMIN")


def _names(module) -> set[str]:
    """Every name a module's code reads, attributes included."""
    tree = ast.parse(Path(module.__file__).read_text())
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
    }


def _source(module) -> str:
    return Path(module.__file__).read_text()


def _literals(module) -> list:
    tree = ast.parse(Path(module.__file__).read_text())
    return [ast.literal_eval(n) for n in ast.walk(tree) if isinstance(n, ast.Tuple) and _constant(n)]


def _constant(node: ast.Tuple) -> bool:
    return bool(node.elts) and all(isinstance(e, ast.Constant) for e in node.elts)


# -- the lifecycle ---------------------------------------------------------------------------------


def test_the_lifecycle_says_which_visit_may_move():
    assert lifecycle.visit_may_move("BOOKED", "BOOKED") and lifecycle.visit_may_move("PENDING", "BOOKED")
    assert not lifecycle.visit_may_move("ARRIVED", "BOOKED")  # the patient is at the clinic
    assert not lifecycle.visit_may_move("BOOKED", "FULFILLED")


def test_the_lifecycle_says_which_follow_up_may_move():
    assert lifecycle.follow_up_may_move("FULFILLED", "BOOKED")  # after the visits, the follow-ups come
    assert not lifecycle.follow_up_may_move("CANCELLED", "BOOKED")
    assert not lifecycle.follow_up_may_move("NOSHOW", "BOOKED")
    assert not lifecycle.follow_up_may_move("BOOKED", "HELD")


def test_reschedule_asks_the_lifecycle_whether_a_visit_or_follow_up_may_move():
    names = _names(reschedule)
    assert {"visit_may_move", "follow_up_may_move"} <= names
    assert "MOVABLE" not in names
    assert ("CANCELLED", "NOSHOW") not in _literals(reschedule)


def test_each_step_is_told_as_the_event_the_lifecycle_names():
    assert lifecycle.event_of(lifecycle.BY_TARGET["CANCELLED"]) == "booking.cancelled"
    assert lifecycle.event_of(lifecycle.BY_TARGET["NOSHOW"]) == "visit.no_show"
    assert {lifecycle.event_of(step) for step in lifecycle.STEPS} <= set(events.TYPES)
    assert not hasattr(events, "BY_STEP")


def test_an_old_bookings_visit_status_comes_from_the_lifecycle():
    assert lifecycle.legacy_visit_status("PENDING") == "BOOKED"
    assert lifecycle.legacy_visit_status("CANCELLED") == "CANCELLED"
    assert "legacy_visit_status" in _names(store)


def test_a_booking_event_carries_the_refund_as_recorded_not_as_rendered():
    assert "refund_of" not in _names(events) and "render" not in _names(events)


# -- draft visibility -------------------------------------------------------------------------------


def test_a_draft_is_seen_only_by_its_clinics_admins():
    draft = {"status": "DRAFT", "clinic": "oracle-skin-clinic"}
    assert visibility.visible_to(draft, ORACLE_ADMIN) and visibility.visible_to(draft, PLATFORM)
    assert not visibility.visible_to(draft, AGENCY) and not visibility.visible_to(draft, None)
    other = Principal(subject="d", role="CLINIC_ADMIN", clinic="another-clinic")
    assert not visibility.visible_to(draft, other)
    for status in ("PUBLISHED", "ARCHIVED"):
        assert visibility.visible_to({"status": status, "clinic": "oracle-skin-clinic"}, None)


def test_only_a_clinics_admins_list_its_packages_other_than_published():
    assert visibility.listable_by("PUBLISHED", [], None)
    assert visibility.listable_by("DRAFT", ["oracle-skin-clinic"], ORACLE_ADMIN)
    assert not visibility.listable_by("DRAFT", ["oracle-skin-clinic", "another-clinic"], ORACLE_ADMIN)
    assert not visibility.listable_by("ARCHIVED", [], PLATFORM)  # a clinic's own view names the clinic
    assert not visibility.listable_by("DRAFT", ["oracle-skin-clinic"], AGENCY)


def test_only_a_caller_who_administers_a_clinic_sees_more_than_anyone():
    assert visibility.sees_as_anyone(None) and visibility.sees_as_anyone(AGENCY)
    assert not visibility.sees_as_anyone(ORACLE_ADMIN) and not visibility.sees_as_anyone(PLATFORM)


def test_search_store_events_quotes_and_the_gateways_cache_rule_ask_the_one_predicate():
    assert packages.visible_to is visibility.visible_to and quotes.visible_to is visibility.visible_to
    assert "listable_by" in _names(search)
    assert "is_public" in _names(package_events) and "DRAFT" not in Path(package_events.__file__).read_text()
    context = (ROOT / "gateway/context.py").read_text()
    assert "sees_as_anyone(self.principal)" in context and "ADMIN_ROLES" not in context
    homes = [p for p in (ROOT / "services").rglob("*.py") if "def visible_to(package" in p.read_text()]
    assert homes == [ROOT / "services/common/visibility.py"]


# -- where a seed fact comes from --------------------------------------------------------------------


def test_the_source_fields_are_declared_once():
    for record in (Caution, ScreeningRule, care.PreparationStep, care.RecoveryPhase, care.AftercareStep):
        assert issubclass(record, care.Sourced)
        assert {"source", "quote", "note"} <= set(record._fields)
    declared = [p for p in (ROOT / "services").rglob("*.py") if "quote = StringField()" in p.read_text()]
    assert declared == [ROOT / "services/common/care.py"]


# -- price --------------------------------------------------------------------------------------------


def test_the_price_rule_shares_the_base_by_visit_and_charges_nothing_for_an_included_interpreter():
    assert prices.visits_of([{"sessions": 3}, {"sessions": 2}]) == 3
    assert prices.per_visit(2_400_001, 3) == 800_000 and prices.per_visit(90_000, 0) == 90_000
    assert prices.interpreter_per_visit({"included": True, "price_per_session_krw": 50_000}) == 0
    assert prices.interpreter_per_visit({"included": False, "price_per_session_krw": 50_000}) == 50_000
    package = {"_id": "p1", "price_krw": 2_400_000, "price_per_session_krw": 800_000}
    shown = prices.package_prices(package, "1327.5", "USD")
    assert shown == {
        "id": "p1",
        "price": prices.priced({"base": 2_400_000}, "1327.5", "USD")["total"],
        "pricePerSession": prices.priced({"base": 800_000}, "1327.5", "USD")["total"],
    }


def test_the_model_the_rendering_and_quotes_ask_the_price_rule():
    assert {"per_visit", "visits_of"} <= _names(models) and "//" not in _source(models)
    assert {"price_per_visit", "interpreter_per_visit"} <= _names(render)
    assert 'get("price_per_session_krw"' not in _source(render) and 'get("visits")' not in _source(render)
    assert quotes.option_prices is prices.option_prices and quotes.priced is prices.priced
    assert "price_per_visit" in _names(quotes)


def test_the_gateway_shows_the_packages_services_prices_and_converts_nothing():
    money = ROOT / "gateway/schema/core/money.py"
    assert "services.common import money" not in money.read_text() and "def convert" not in money.read_text()
    assert not [p for p in (ROOT / "gateway").rglob("*.py") if "from_krw" in p.read_text()]
    types = (ROOT / "gateway/schema/packages/types.py").read_text()
    assert types.count("PackagePriceLoader.of(info).load(") == 2  # price and pricePerSession
    client = (ROOT / "gateway/clients/packages.py").read_text()
    assert '"/packages/prices"' in client


# -- paging -------------------------------------------------------------------------------------------


def test_a_list_in_hand_is_paged_as_a_collection_is():
    app = Flask(__name__)
    app.config["SETTINGS"] = SimpleNamespace(token_secret="a-secret")
    items = [{"key": f"{n:03d}", "n": n} for n in (5, 1, 4, 2, 3)]
    with app.app_context():
        first = pagination.page_of(items, pagination.Sort("key", 1), limit=2, with_total=True)
        assert [i["n"] for i in first.items] == [1, 2] and first.total == 5 and "key" not in first.items[0]
        rest = pagination.page_of(items, pagination.Sort("key", 1), limit=2, cursor=first.next_cursor)
        assert [i["n"] for i in rest.items] == [3, 4] and rest.next_cursor is not None
        last = pagination.page_of(items, pagination.Sort("key", 1), limit=2, cursor=rest.next_cursor)
        assert [i["n"] for i in last.items] == [5] and last.next_cursor is None
        down = pagination.page_of(items, pagination.Sort("key", -1), limit=3)
        assert [i["n"] for i in down.items] == [5, 4, 3]
    assert "page_of" in _names(slots) and "ReadModel" not in _names(slots)
