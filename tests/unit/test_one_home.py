"""Each rule has one home, and the modules that decided it before now ask it."""

from __future__ import annotations

import ast
from pathlib import Path

from services.bookings import events, reschedule, store
from services.catalogue.models import Caution
from services.common import care, lifecycle, visibility
from services.common.tokens import Principal
from services.packages import events as package_events
from services.packages import packages, quotes, search
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
