"""Per request: who is calling, the token passed to services, the language, and the DataLoaders.

Loaders are created for each request (a module-level loader would cache forever) inside the
running event loop. Every field that crosses services resolves through one, so a query costs
a constant number of upstream calls whatever its page size.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from aiodataloader import DataLoader
from graphql import GraphQLError

from services.common.tokens import Principal

from .upstream import Upstream

BATCH = 100


@dataclass
class RequestContext:
    upstream: Upstream
    principal: Principal | None
    token: str | None
    request_id: str | None
    lang: str
    loaders: dict[str, DataLoader] = field(default_factory=dict)

    async def call(self, service: str, method: str, path: str, *, public: bool = False, **kwargs):
        """``public``: a read whose answer is the same for every caller who is not a clinic's admin,
        sent without the caller's token so the answer can come from the HTTP cache."""
        anonymous = public and not (self.principal and self.principal.role in ("CLINIC_ADMIN", "PLATFORM_ADMIN"))
        return await self.upstream.call(service, method, path, token=None if anonymous else self.token,
                                        request_id=self.request_id, **kwargs)

    def loader(self, name: str) -> DataLoader:
        if name not in self.loaders:
            self.loaders[name] = DataLoader(getattr(self, f"_load_{name}"), max_batch_size=BATCH)
        return self.loaders[name]

    async def _by_ids(self, service: str, path: str, keys: list, **params) -> list:
        """Items for ``keys`` from a service's ``?ids=`` lookup, one call per batch; a failure is
        returned per key so each field gets its own error and the rest of the query answers."""
        try:
            answer = await self.call(service, "GET", path, public=service != "bookings", params={"ids": ",".join(keys), **params})
        except GraphQLError as error:
            return [error] * len(keys)
        return answer["items"]

    async def _load_clinic(self, slugs: list[str]) -> list:
        return await self._by_ids("catalogue", "/clinics", slugs, lang=self.lang)

    async def _load_procedure(self, codes: list[str]) -> list:
        return await self._by_ids("catalogue", "/procedures", codes, lang=self.lang)

    async def _load_package(self, ids: list[str]) -> list:
        return await self._by_ids("packages", "/packages", ids, lang=self.lang)

    async def _load_booking(self, references: list[str]) -> list:
        return await self._by_ids("bookings", "/bookings", references)

    async def _load_next_slot(self, keys: list[tuple[str, str]]) -> list:
        try:
            answer = await self.call("bookings", "POST", "/availability/next",
                                     json={"packages": [{"packageId": pid, "clinic": clinic} for pid, clinic in keys]})
        except GraphQLError as error:
            return [error] * len(keys)
        return answer["items"]

    async def _load_rates(self, keys: list[str]) -> list:
        try:
            answer = await self.call("packages", "GET", "/exchange-rates", public=True)
        except GraphQLError as error:
            return [error] * len(keys)
        return [answer] * len(keys)
