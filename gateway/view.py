"""The /graphql view: graphql-server's async Flask view, with our limits, cache and error masking.

graphql-server 3.0.0 takes no options for these, so they are overrides:
- ``get_context``: the caller, the token for the services, the language, per-request loaders;
- ``execute_operation``: parse and validate once per distinct query text (an LRU cache), with
  the standard rules plus depth and alias limits, and no introspection outside development;
- ``process_result``: unexpected errors are masked (the library would send exception text).

The GraphQL over HTTP specification, to the letter (``docs/api.md``): a caller that accepts
``application/graphql-response+json`` gets it, and a request that is never executed (it does not parse,
validate, or coerce its variables, or breaks a limit) answers 400 with no ``data`` entry; one that accepts
only ``application/json`` (or anything, or sends no ``Accept``) gets that, and 200 for the same; a
malformed request (no query, parameters of the wrong type) is a 400 and a mutation sent with GET a 405
either way.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from threading import Lock

from flask import Response, g, json, request
from graphene.validation import DisableIntrospection
from graphql import ExecutionResult, GraphQLError, OperationType, parse, specified_rules, validate
from graphql.execution.values import get_variable_values
from graphql.language import DocumentNode, FieldNode, OperationDefinitionNode
from graphql.validation import ValidationRule
from graphql_server import execute
from graphql_server.flask.views import AsyncGraphQLView
from graphql_server.http.exceptions import HTTPException

from services.common.metrics import OPERATION_LATENCY, OPERATIONS, OperationNames
from services.common.tokens import mint

from .arguments import overlong
from .context import RequestContext
from .cost import cost, default_depth, depth, too_complex
from .errors import graphql_error_response
from .settings import GatewaySettings
from .upstream import Upstream

log = logging.getLogger("clinicbridge.gateway")
_SUGGESTION = re.compile(r" Did you mean .*\?$")
GRAPHQL_RESPONSE = "application/graphql-response+json"


def graphql_response_wanted() -> bool:
    """Whether the caller prefers ``application/graphql-response+json`` to ``application/json`` (a tie, ``*/*``
    or no ``Accept`` at all is ``application/json``, as the specification asks while clients move over)."""
    if not request.headers.get("Accept"):
        return False
    return request.accept_mimetypes.best_match(["application/json", GRAPHQL_RESPONSE]) == GRAPHQL_RESPONSE


class RequestError(HTTPException):
    """A request the gateway does not execute. ``status``: for a GraphQL request error (it does not parse,
    validate or coerce, or breaks a limit), None: 400 for a caller that accepts GraphQL responses, 200 for
    one on ``application/json``; otherwise that status whatever it accepts."""

    def __init__(self, errors: list[GraphQLError], status: int | None = None, headers: dict | None = None):
        super().__init__(status or 400, errors[0].message)  # the library passes its own exceptions on
        self.errors = errors
        self.status = status
        self.headers = headers or {}


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


def _malformed(message: str) -> RequestError:
    return RequestError([GraphQLError(message, extensions={"code": "BAD_REQUEST"})], status=400)


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
        self.operation_names = OperationNames()

    def create_response(self, response_data, sub_response, is_strict):
        return super().create_response(response_data, sub_response, graphql_response_wanted())

    def refusal(self, error: RequestError) -> Response:
        """A request error's answer: no ``data`` entry, the errors as the view formats them."""
        strict = graphql_response_wanted()
        status = error.status or (400 if strict else 200)
        body = json.dumps({"errors": [self._mask(e).formatted for e in error.errors]})
        return Response(
            body, status=status, headers=error.headers, mimetype=GRAPHQL_RESPONSE if strict else "application/json"
        )

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
        query, name = request_data.query, request_data.operation_name
        if not isinstance(query, str) or not query:
            raise _malformed("Send the GraphQL document as the query parameter, a string.")
        if name is not None and not isinstance(name, str):
            raise _malformed("operationName must be a string.")
        document, errors = self.cache.get(query, self._check)
        if errors or document is None:
            raise self._refused(None, errors)
        operation = next(
            (
                d
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode) and (name is None or (d.name and d.name.value == name))
            ),
            None,
        )
        if operation is None:
            raise self._refused(None, [GraphQLError("Unknown operation.", extensions={"code": "BAD_REQUEST"})])
        if operation.operation not in allowed_operation_types:
            kind = "mutations" if operation.operation == OperationType.MUTATION else "this operation"
            error = GraphQLError(f"Send {kind} with POST.", extensions={"code": "METHOD_NOT_ALLOWED"})
            raise self._refused(operation, [error], status=405, headers={"Allow": "POST"})
        coerced = get_variable_values(self.schema, operation.variable_definitions or (), request_data.variables or {})
        if isinstance(coerced, list):
            raise self._refused(operation, [_code(e, "BAD_USER_INPUT") for e in coerced])
        too_long = overlong(document, operation, request_data.variables)
        if too_long is not None:
            raise self._refused(operation, [too_long])
        spent = cost(document, operation, request_data.variables)
        if spent > self.settings.max_cost:
            raise self._refused(
                operation,
                [
                    too_complex(
                        f"The query's cost is {spent}; at most {self.settings.max_cost} "
                        "(each field times the list it asks for)."
                    )
                ],
            )
        started = time.perf_counter()
        result = await execute(
            schema=self.schema,
            query=document,
            variable_values=request_data.variables,
            context_value=context,
            root_value=root_value,
            operation_name=name,
            allowed_operation_types=allowed_operation_types,
            validate_document=False,
        )
        if operation.operation == OperationType.MUTATION:
            self.upstream.forget(context.touched)  # the next read in this process sees what it just changed
        label = self.operation_names.label(operation.name.value if operation.name else None)
        kind = operation.operation.value
        OPERATIONS.labels(label, kind, "errors" if result.errors else "ok").inc()
        OPERATION_LATENCY.labels(label, kind).observe(time.perf_counter() - started)
        return result

    def _refused(
        self,
        operation: OperationDefinitionNode | None,
        errors: list[GraphQLError],
        status: int | None = None,
        headers: dict | None = None,
    ) -> RequestError:
        label = self.operation_names.label(operation.name.value if operation and operation.name else None)
        OPERATIONS.labels(label, operation.operation.value if operation else "unknown", "refused").inc()
        return RequestError(errors, status, headers)

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
        except RequestError as refused:
            return self.refusal(refused)
        except HTTPException as exc:
            return graphql_error_response(exc.status_code, exc.reason or "Bad request.", "BAD_REQUEST")
