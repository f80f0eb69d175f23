"""Per-request DataLoaders, one class per kind of lookup, keyed by everything that changes the answer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from typing import Any, Self

from aiodataloader import DataLoader
from graphql import GraphQLError

from ...context import RequestContext
from .wire import ctx

BATCH = 100  # the services' batch lookups take up to 100 keys


class Loader(DataLoader):
    """A DataLoader for one request. A failed batch fails each of its keys with the same error,
    so each field gets its own error and the rest of the query answers."""

    def __init__(self, context: RequestContext):
        super().__init__(max_batch_size=BATCH)
        self.context = context

    @classmethod
    def of(cls, info: Any) -> Self:
        """This request's loader of this class."""
        loaders = ctx(info).loaders
        if cls not in loaders:
            loaders[cls] = cls(ctx(info))
        return loaders[cls]

    async def batch_load_fn(self, keys: list[Any]) -> list[Any]:
        try:
            return await self.load_batch(keys)
        except GraphQLError as error:
            return [error] * len(keys)

    async def load_batch(self, keys: list[Any]) -> list[Any]:
        raise NotImplementedError


class ByLanguageLoader(Loader):
    """Keys are ``(id, lang)``: one batch lookup per language asked for."""

    @staticmethod
    async def fetch(context: RequestContext, idents: list[str], lang: str, /) -> list[Any]:
        """One batch lookup in one language (a client function)."""
        raise NotImplementedError

    async def load_batch(self, keys: list[tuple[Hashable, str]]) -> list[Any]:
        by_language: dict[str, list[Any]] = defaultdict(list)
        for ident, lang in keys:
            if ident not in by_language[lang]:
                by_language[lang].append(ident)
        found: dict[tuple[Any, str], Any] = {}
        for lang, idents in by_language.items():
            found.update(
                zip(((ident, lang) for ident in idents), await self.fetch(self.context, idents, lang), strict=True)
            )
        return [found[key] for key in keys]
