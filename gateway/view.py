"""The /graphql view: graphql-server's async Flask view, with our limits, cache and error masking.

graphql-server 3.0.0 takes no options for these, so they are overrides:
- ``get_context``: the caller, the token for the services, the language, per-request loaders;
- ``execute_operation``: parse and validate once per distinct query text (an LRU cache), with
  the standard rules plus depth and alias limits, and no introspection outside development;
- ``process_result``: unexpected errors are masked (the library would send exception text).
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from threading import Lock

from flask import g, request
from graphene.validation import DisableIntrospection
from graphql import ExecutionResult, GraphQLError, OperationType, parse, specified_rules, validate
from graphql.language import DocumentNode, FieldNode, OperationDefinitionNode
from graphql.validation import ValidationRule
from graphql_server import execute
from graphql_server.flask.views import AsyncGraphQLView
from graphql_server.http.exceptions import HTTPException

from services.common.tokens import mint

from .arguments import overlong
from .context import RequestContext
from .cost import cost, default_depth, depth, too_complex
from .errors import graphql_error_response
from .settings import GatewaySettings
from .upstream import Upstream

log = logging.getLogger("clinicbridge.gateway")
_SUGGESTION = re.compile(r" Did you mean .*\?$")


def depth_limit(maximum: int) -> type[ValidationRule]:
    class DepthLimit(ValidationRule):
        """No operation nested deeper than ``maximum`` fields, introspection fields counted."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_):
            found = depth(self.context.document, node)
            if found > maximum:
                self.report_error(
                    GraphQLError(
                        f"The query nests {found} fields deep; at most {maximum}.",
                        node,
                        extensions={"code": "QUERY_TOO_COMPLEX"},
                    )
                )

    return DepthLimit


def alias_limit(maximum: int) -> type[ValidationRule]:
    class AliasLimit(ValidationRule):
        """No more than ``maximum`` aliased fields in a document (alias amplification)."""

        count = 0

        def enter_field(self, node: FieldNode, *_):
            if node.alias:
                self.count += 1
                if self.count == maximum + 1:
                    self.report_error(
                        GraphQLError(
                            f"At most {maximum} aliases per request.", node, extensions={"code": "QUERY_TOO_COMPLEX"}
                        )
                    )

    return AliasLimit


class DocumentCache:
    """Parsed and validated documents by query text, least recently used out first."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[str, tuple[DocumentNode | None, list[GraphQLError]]] = OrderedDict()
        self.lock = Lock()

    def get(self, query: str, check) -> tuple[DocumentNode | None, list[GraphQLError]]:
        with self.lock:
            if query in self.entries:
                self.entries.move_to_end(query)
                return self.entries[query]
        entry = check(query)
        with self.lock:
            self.entries[query] = entry
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return entry


def _code(error: GraphQLError, fallback: str) -> GraphQLError:
    if not (error.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), "code": fallback}
    return error


class GatewayView(AsyncGraphQLView):
    # One instance serves every request (its cache must outlive a request); its state is
    # read-only but for the cache, which has its own lock.
    init_every_request = False

    def __init__(self, *, settings: GatewaySettings, upstream: Upstream, **kwargs):
        super().__init__(**kwargs)
        self.settings = settings
        self.upstream = upstream
        self.cache = DocumentCache(settings.document_cache_size)
        # The limits run only on documents the standard rules accept: graphene's depth limit recurses
        # forever on a fragment cycle, which the standard NoFragmentCycles rule refuses first.
        self.max_depth = settings.max_depth or default_depth(kwargs["schema"], settings.introspection)
        limits = [depth_limit(self.max_depth), alias_limit(settings.max_aliases)]
        if not settings.introspection:
            limits.append(DisableIntrospection)
        self.rules = (specified_rules, limits)

    async def get_context(self, request, response) -> RequestContext:  # type: ignore[override]  # ours, not None
        principal = g.get("principal")
        kit = self.settings.kit
        token = mint(principal, kit.token_secret, kit.token_ttl_seconds) if principal else None
        lang = request.accept_languages.best_match(("en", "ko", "zh", "ja"), default="en")
        return RequestContext(
            upstream=self.upstream, principal=principal, token=token, request_id=g.get("request_id"), lang=lang
        )

    def _check(self, query: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        try:
            document = parse(query)
        except GraphQLError as error:
            return None, [_code(error, "GRAPHQL_PARSE_FAILED")]
        errors = validate(self.schema, document, self.rules[0]) or validate(self.schema, document, self.rules[1])
        return (None, [_code(e, "GRAPHQL_VALIDATION_FAILED") for e in errors]) if errors else (document, [])

    async def execute_operation(self, request_adapter, request_data, context, root_value, allowed_operation_types):
        if not request_data.query:
            return ExecutionResult(
                data=None,
                errors=[GraphQLError("No GraphQL query found in the request.", extensions={"code": "BAD_REQUEST"})],
            )
        document, errors = self.cache.get(request_data.query, self._check)
        if errors or document is None:
            return ExecutionResult(data=None, errors=errors)
        operation = next(
            (
                d
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode)
                and (request_data.operation_name is None or (d.name and d.name.value == request_data.operation_name))
            ),
            None,
        )
        if operation is None:
            return ExecutionResult(
                data=None, errors=[GraphQLError("Unknown operation.", extensions={"code": "BAD_REQUEST"})]
            )
        too_long = overlong(document, operation, request_data.variables)
        if too_long is not None:
            return ExecutionResult(data=None, errors=[too_long])
        spent = cost(document, operation, request_data.variables)
        if spent > self.settings.max_cost:
            return ExecutionResult(
                data=None,
                errors=[
                    too_complex(
                        f"The query's cost is {spent}; at most {self.settings.max_cost} "
                        "(each field times the list it asks for)."
                    )
                ],
            )
        if operation.operation not in allowed_operation_types:
            kind = "mutations" if operation.operation == OperationType.MUTATION else "this operation"
            return ExecutionResult(
                data=None, errors=[GraphQLError(f"Send {kind} with POST.", extensions={"code": "BAD_REQUEST"})]
            )
        result = await execute(
            schema=self.schema,
            query=document,
            variable_values=request_data.variables,
            context_value=context,
            root_value=root_value,
            operation_name=request_data.operation_name,
            allowed_operation_types=allowed_operation_types,
            validate_document=False,
        )
        if operation.operation == OperationType.MUTATION:
            self.upstream.forget()  # the caller's next read in this process sees what it just changed
        return result

    async def process_result(self, request, result: ExecutionResult, strict: bool = False) -> dict:  # type: ignore[override]
        body: dict = {"data": result.data}
        if result.errors:
            body["errors"] = [self._mask(error).formatted for error in result.errors]
        return body

    def _mask(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is not None and not isinstance(original, GraphQLError):
            log.error("resolver failed: %s", type(original).__name__, exc_info=original)
            return GraphQLError("Internal error.", error.nodes, path=error.path, extensions={"code": "INTERNAL_ERROR"})
        if isinstance(original, GraphQLError):
            error.extensions = {**(original.extensions or {}), **(error.extensions or {})}
        error = _code(error, "BAD_USER_INPUT")
        if not self.settings.introspection:
            error.message = _SUGGESTION.sub("", error.message)  # suggestions would reveal schema names
        return error

    async def dispatch_request(self):  # type: ignore[override]  # Flask runs async views
        if (
            request.method == "POST"
            and request.is_json
            and not isinstance(request.get_json(silent=True), (dict, type(None)))
        ):
            return graphql_error_response(
                400, "Send one operation per request, as a JSON object; batches are not accepted.", "BAD_REQUEST"
            )
        try:
            return await self.run(request=request)
        except HTTPException as exc:
            return graphql_error_response(exc.status_code, exc.reason or "Bad request.", "BAD_REQUEST")
