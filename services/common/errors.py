"""One error envelope for every service: ``application/problem+json`` (RFC 9457).

Every error path answers with a stable ``code``; validation errors list every failing
field. Nothing internal (stack trace, host, port, URL) ever reaches the client.
"""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, request
from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError
from werkzeug.exceptions import HTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"

log = logging.getLogger("clinicbridge.errors")

# Default code and title per HTTP status, for errors raised by Flask/werkzeug itself.
STATUS_CODES = {
    400: ("BAD_REQUEST", "Bad request"),
    401: ("UNAUTHENTICATED", "Authentication required"),
    403: ("FORBIDDEN", "Not allowed"),
    404: ("NOT_FOUND", "Not found"),
    405: ("METHOD_NOT_ALLOWED", "Method not allowed"),
    409: ("CONFLICT", "Conflict"),
    412: ("PRECONDITION_FAILED", "Precondition failed"),
    413: ("PAYLOAD_TOO_LARGE", "Request body too large"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"),
    422: ("UNPROCESSABLE", "Request cannot be processed"),
    429: ("RATE_LIMITED", "Too many requests"),
    500: ("INTERNAL_ERROR", "Internal error"),
    503: ("SERVICE_UNAVAILABLE", "Service unavailable"),
}


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        detail: str | None = None,
        *,
        title: str | None = None,
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, str] | None = None,
    ):
        """``extra``: members the problem type adds (RFC 9457 extension members), e.g. ``oldestCursor``."""
        default_code, default_title = STATUS_CODES.get(status, ("ERROR", "Error"))
        self.status = status
        self.code = code or default_code
        self.title = title or default_title
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(f"{self.status} {self.code}: {self.detail}")


def validation_problem(errors: list[dict], detail: str = "The request is not valid.") -> Problem:
    return Problem(400, "VALIDATION_FAILED", detail, title="Validation failed", errors=errors)


def not_found(kind: str, key: str) -> Problem:
    return Problem(404, "NOT_FOUND", f"No {kind} with identifier {key!r}.")


def problem_response(problem: Problem):
    body = {
        "type": f"urn:clinicbridge:problem:{problem.code.lower().replace('_', '-')}",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
        "instance": request.path,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    body.update(problem.extra)
    request_id = g.get("request_id")
    if request_id:
        body["requestId"] = request_id
    response = jsonify(body)
    response.status_code = problem.status
    response.mimetype = PROBLEM_MEDIA_TYPE
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def _from_http_exception(exc: HTTPException) -> Problem:
    status = exc.code or 500
    code, title = STATUS_CODES.get(status, ("ERROR", exc.name))
    if status == 413:
        detail = "The request body is larger than this service accepts."
    elif status == 405:
        detail = f"{request.method} is not allowed here."
    elif status == 404:
        detail = "No resource at this path."
    else:
        # werkzeug's descriptions are generic text; safe to show, never contain internals.
        detail = exc.description or title
    headers = {}
    if status == 405 and exc.get_response().headers.get("Allow"):
        headers["Allow"] = exc.get_response().headers["Allow"]
    return Problem(status, code, detail, title=title, headers=headers)


class Refusal(Exception):
    """An exception that knows the problem it answers with (a service this one called failed, say)."""

    def problem(self) -> Problem:
        raise NotImplementedError


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return problem_response(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return problem_response(_from_http_exception(exc))

    @app.errorhandler(ServerSelectionTimeoutError)
    @app.errorhandler(ConnectionFailure)
    def _database_down(exc):
        log.warning("database unavailable: %s", type(exc).__name__)
        return problem_response(
            Problem(
                503,
                "DATABASE_UNAVAILABLE",
                "The service's database is unavailable; try again shortly.",
                headers={"Retry-After": "2"},
            )
        )

    @app.errorhandler(Refusal)
    def _refused(exc: Refusal):
        log.warning("%s: %s", type(exc).__name__, exc)
        return problem_response(exc.problem())

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return problem_response(Problem(500, "INTERNAL_ERROR", "An unexpected error occurred."))
