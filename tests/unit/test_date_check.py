"""The check in `make check` that keeps tests from building a Seoul date out of a UTC moment."""

from __future__ import annotations

from scripts.check_dates import findings


def found(source: str) -> list[str]:
    return list(findings(source, "scratch.py"))


def test_a_seoul_date_built_from_a_utc_moment_is_refused():
    scratch = (
        "from datetime import date, datetime, timedelta\n"
        "from services.common.clock import utcnow\n"
        "start = utcnow() + timedelta(days=9)\n"
        "window = f'from={(start - timedelta(days=1)).date()}&to={start.date()}'\n"
        "today = date.today()\n"
        "now = datetime.now()\n"
    )
    assert found(scratch) == [
        "scratch.py:4:18: .date() of a moment is the day in its own zone; use clock.seoul_date(moment)",
        "scratch.py:4:58: .date() of a moment is the day in its own zone; use clock.seoul_date(moment)",
        "scratch.py:5:9: date.today() reads the system clock; use clock.seoul_today()",
        "scratch.py:6:7: datetime.now() reads the system clock; use clock.utcnow() or clock.seoul_now()",
    ]


def test_dates_through_the_clock_pass():
    scratch = (
        "from datetime import date, timedelta\n"
        "from services.common.clock import seoul_date, seoul_today, utcnow\n"
        "start = utcnow() + timedelta(days=9)\n"
        "window = f'from={seoul_date(start) - timedelta(days=1)}&to={seoul_date(start)}'\n"
        "later = seoul_today() + timedelta(days=3)\n"
        "parsed = date.fromisoformat('2027-03-14')\n"
    )
    assert found(scratch) == []
