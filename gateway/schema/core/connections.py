"""Relay connections over the services' pages."""

from __future__ import annotations

import graphene
from graphql import GraphQLError

MAX_FIRST = 100


def require_first(first: int) -> int:
    if first < 1 or first > MAX_FIRST:
        raise GraphQLError(f"first must be between 1 and {MAX_FIRST}.", extensions={"code": "BAD_USER_INPUT"})
    return first


class PageInfo(graphene.ObjectType):
    """Where a list continues."""

    has_next_page = graphene.Boolean(required=True, description="More items follow.")
    end_cursor = graphene.String(description="Pass as after for the next page.")


def connection_type(node: type[graphene.ObjectType], noun: str, plural: str) -> type:
    """A Relay connection of ``node`` (with its edge type): a page, where it continues, how many in all."""
    name = node._meta.name
    edge = type(
        f"{name}Edge",
        (graphene.ObjectType,),
        {
            "__doc__": f"A {noun} in a list, with where the list continues after it.",
            "cursor": graphene.String(required=True, description=f"Pass as after to continue after this {noun}."),
            "node": graphene.Field(node, required=True, description=f"The {noun}."),
        },
    )
    return type(
        f"{name}Connection",
        (graphene.ObjectType,),
        {
            "__doc__": f"A page of {plural}.",
            "edges": graphene.List(graphene.NonNull(edge), required=True, description=f"The {plural} of this page."),
            "page_info": graphene.Field(PageInfo, required=True, description="Where the list continues."),
            "total_count": graphene.Int(required=True, description=f"How many {plural} match in all."),
        },
    )


def connection(page: dict) -> dict:
    """A service page ({items, cursors, nextCursor, totalCount}) as a Relay connection."""
    return {
        "edges": [{"cursor": c, "node": i} for i, c in zip(page["items"], page["cursors"], strict=True)],
        "page_info": {"has_next_page": page["nextCursor"] is not None, "end_cursor": page["nextCursor"]},
        "total_count": page.get("totalCount", 0),
    }


EMPTY = {"edges": [], "page_info": {"has_next_page": False, "end_cursor": None}, "total_count": 0}
