"""Reading who the caller is."""

from __future__ import annotations

import graphene

from ..core.wire import ctx
from .types import Viewer


class AccountQueries(graphene.ObjectType):
    viewer = graphene.Field(Viewer, description="The caller, from its API key; null for an anonymous call.")

    def resolve_viewer(root, info):
        principal = ctx(info).principal
        return (
            None
            if principal is None
            else {"role": principal.role, "clinic": principal.clinic, "agency": principal.agency}
        )
