"""Reading a quote, for the caller that made it."""

from __future__ import annotations

import graphene

from ...clients import packages
from ...upstream import ServiceFailure
from ..core.language import language
from ..core.wire import ctx
from .types import Quote


class QuoteQueries(graphene.ObjectType):
    quote = graphene.Field(Quote, description="A quote by id.", id=graphene.ID(required=True, description="Quote id."))

    async def resolve_quote(root, info, id):
        try:
            return await packages.quote(ctx(info), id, language(info))
        except ServiceFailure as failure:
            if failure.status == 404:
                return None
            raise
