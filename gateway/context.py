"""Per request: who is calling, the token passed to services, the language, and the DataLoaders.

Loaders are created for each request (a module-level loader would cache forever) inside the
running event loop, one per loader class (``Loader.of``). Every field that crosses services
resolves through one, so a query costs a constant number of upstream calls whatever its page size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from services.common.tokens import Principal
from services.common.visibility import sees_as_anyone

from .upstream import Upstream

Json = dict[str, Any]  # a service's JSON object


@dataclass
class RequestContext:
    upstream: Upstream
    principal: Principal | None
    token: str | None
    request_id: str | None
    lang: str  # from Accept-Language; a field's own lang argument wins for that field
    loaders: dict[type, Any] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)  # the resources this request's writes changed

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        public: bool = False,
        holds: Iterable[str] = (),
        touches: Iterable[str] = (),
        **kwargs: Any,
    ) -> Any:
        """``public``: a read whose answer is the same for every caller who is not a clinic's admin,
        sent without the caller's token so the answer can come from the HTTP cache; ``holds``: the
        resources its answer shows (``package:<id>``, ``clinic:<slug>``, ``rates``...). ``touches``: the
        resources a write changes, whose cached reads the mutation then forgets."""
        self.touched.update(touches)
        anonymous = public and sees_as_anyone(self.principal)
        return await self.upstream.call(
            service,
            method,
            path,
            token=None if anonymous else self.token,
            request_id=self.request_id,
            holds=holds if anonymous else (),
            **kwargs,
        )
