"""Time as the services keep it: UTC in MongoDB, to the millisecond, so what is written reads back
equal; Seoul time for clinics' calendars; ISO 8601 on the wire."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


def utcnow() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def seoul_now() -> datetime:
    """The present moment in Seoul time: the clock clinics' calendars, windows and notices read."""
    return utcnow().astimezone(SEOUL)


def seoul_today() -> date:
    """Today's date in Seoul, which from 15:00 to 24:00 UTC is a day ahead of UTC's."""
    return seoul_date(utcnow())


def aware(moment: datetime) -> datetime:
    """A moment read from MongoDB (naive UTC unless the client is tz-aware) as an aware one."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """UTC, ISO 8601 with a Z."""
    return aware(moment).astimezone(UTC).isoformat().replace("+00:00", "Z")


def seoul_iso(moment: datetime) -> str:
    """Seoul time, ISO 8601 with its offset."""
    return aware(moment).astimezone(SEOUL).isoformat()


def seoul_date(moment: datetime) -> date:
    """The Seoul calendar date of a moment (naive ones are UTC, as the database returns them)."""
    return aware(moment).astimezone(SEOUL).date()


def utc_date(moment: datetime) -> date:
    """The UTC calendar date of a moment: the unit of internal day buckets, never of a clinic's day."""
    return aware(moment).astimezone(UTC).date()


def seoul_days_between(earlier: datetime, later: datetime) -> int:
    """Seoul calendar days from one moment to another: the unit of windows, notices and refunds."""
    return (seoul_date(later) - seoul_date(earlier)).days
