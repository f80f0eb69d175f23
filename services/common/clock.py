"""The time, as MongoDB stores it: UTC, to the millisecond, so what is written reads back equal."""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
