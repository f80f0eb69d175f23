"""The gateway's settings: the kit's, plus its own knobs, all from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

from services.common.config import Settings, from_env


@dataclass(frozen=True)
class GatewaySettings:
    kit: Settings
    introspection: bool  # schema introspection and GraphiQL: development only by default
    max_depth: int | None  # None: the schema's deepest path (GraphiQL's introspection query where introspection is on)
    max_aliases: int
    rate_limit: str  # per API key (or address when anonymous), counters in MongoDB shared by all workers
    document_cache_size: int
    key_cache_seconds: float  # how long a worker trusts a key lookup (and so how soon a revocation bites)
    http_cache_entries: int = 2048  # public reads kept per worker while the service says they are fresh; 0: none
    max_cost: int = 5000  # each field times the list it asks for (first, or its longest input list)
    bad_key_limit: str = "20/minute"  # unknown API keys per client address; past it, refused before any lookup

    @classmethod
    def from_env(cls, kit: Settings | None = None) -> GatewaySettings:
        kit = kit or from_env("gateway")
        development = not kit.is_production
        flag = os.environ.get("GATEWAY_INTROSPECTION")
        return cls(
            kit=kit,
            introspection=development if flag is None else flag.lower() in ("1", "true", "yes"),
            max_depth=int(os.environ["GATEWAY_MAX_DEPTH"]) if os.environ.get("GATEWAY_MAX_DEPTH") else None,
            max_aliases=int(os.environ.get("GATEWAY_MAX_ALIASES", "30")),
            rate_limit=os.environ.get("GATEWAY_RATE_LIMIT", "1200/minute"),
            document_cache_size=int(os.environ.get("GATEWAY_DOCUMENT_CACHE", "512")),
            key_cache_seconds=float(os.environ.get("GATEWAY_KEY_CACHE_SECONDS", "10")),
            http_cache_entries=int(os.environ.get("GATEWAY_HTTP_CACHE_ENTRIES", "2048")),
            max_cost=int(os.environ.get("GATEWAY_MAX_COST", "5000")),
            bad_key_limit=os.environ.get("GATEWAY_BAD_KEY_LIMIT", "20/minute"),
        )
