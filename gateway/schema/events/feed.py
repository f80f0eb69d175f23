"""The event feed: the bookings' and the packages' logs read as one.

Each service numbers its own events; the feed's cursor is both numbers (``<bookings>.<packages>``).
A page asks each service for up to ``first`` events after its number and merges them by time,
keeping each service's order, so every event comes once and none is skipped: a service's number
moves only past the events the page returned (or past the log it read with nothing for the caller).

Each log keeps its events for a horizon: a cursor from before it is a ``CURSOR_EXPIRED`` error whose
``oldestCursor`` goes on from the oldest events still held, keeping the other service's number.
"""

from __future__ import annotations

import asyncio
import heapq
import re

from graphql import GraphQLError

from ...clients import bookings, packages
from ...context import RequestContext
from ...upstream import ServiceFailure
from .types import BOOKING_EVENTS, PACKAGE_EVENTS

SOURCES = ((bookings.event_page, set(BOOKING_EVENTS)), (packages.event_page, set(PACKAGE_EVENTS)))
CURSOR = re.compile(r"^(\d{1,15})\.(\d{1,15})$")


def positions(after: str | None) -> list[int]:
    if after is None:
        return [0] * len(SOURCES)
    found = CURSOR.match(after)
    if not found:
        raise GraphQLError("after is a cursor from an earlier page.", extensions={"code": "BAD_USER_INPUT"})
    return [int(number) for number in found.groups()]


async def page(ctx: RequestContext, after: str | None, types: list[str] | None, first: int) -> dict:
    start = positions(after)
    empty = {"items": [], "more": False}

    async def read(index: int) -> dict:
        fetch, kinds = SOURCES[index]
        wanted = [t for t in types if t in kinds] if types else None
        if wanted == []:
            return {**empty, "cursor": str(start[index])}
        return await fetch(ctx, start[index], wanted, first)

    answers = await asyncio.gather(*(read(index) for index in range(len(SOURCES))), return_exceptions=True)
    expired = {
        index: answer
        for index, answer in enumerate(answers)
        if isinstance(answer, ServiceFailure) and answer.code == "CURSOR_EXPIRED"
    }
    if expired:
        oldest = [int(expired[i].problem["oldestCursor"]) if i in expired else start[i] for i in range(len(SOURCES))]
        raise GraphQLError(
            "after is older than the events kept; go on from oldestCursor, the oldest cursor still held.",
            extensions={"code": "CURSOR_EXPIRED", "oldestCursor": ".".join(map(str, oldest))},
        )
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    pages: list[dict] = [answer for answer in answers if isinstance(answer, dict)]
    streams = [[(item["at"], index, item) for item in found["items"]] for index, found in enumerate(pages)]
    taken = [entry for _, entry in zip(range(first), heapq.merge(*streams, key=lambda entry: entry[0]), strict=False)]
    cursor, more = [], False
    for index, found in enumerate(pages):
        mine = [item for _, source, item in taken if source == index]
        if len(mine) == len(found["items"]):  # all it returned: continue where it stopped reading
            cursor.append(int(found["cursor"]))
            more = more or found["more"]
        else:  # some are left for the next page
            cursor.append(mine[-1]["seq"] if mine else start[index])
            more = True
    return {"events": [item for _, _, item in taken], "cursor": ".".join(map(str, cursor)), "more": more}
