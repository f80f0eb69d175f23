"""Every error the gateway answers outside a GraphQL result, in the GraphQL error shape."""

from __future__ import annotations

from flask import Flask, Response, json
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import HTTPException as WerkzeugHTTPException


def graphql_error_response(status: int, message: str, code: str, headers: dict | None = None) -> Response:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return Response(body, status=status, mimetype="application/json", headers=headers)


def init_error_handlers(app: Flask) -> None:
    """HTTP errors, the gateway's database down, and anything unexpected: a code and a message,
    never a trace."""

    @app.errorhandler(WerkzeugHTTPException)
    def _http_error(exc: WerkzeugHTTPException):
        codes = {413: "PAYLOAD_TOO_LARGE", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
        messages = {
            413: "The request is too large.",
            404: "Nothing here; the API is at /graphql.",
            405: "Use GET or POST.",
        }
        status = exc.code or 500
        return graphql_error_response(status, messages.get(status, "Bad request."), codes.get(status, "BAD_REQUEST"))

    @app.errorhandler(ConnectionFailure)
    def _database_down(exc: ConnectionFailure):
        # API keys live in the gateway's database; without it no caller can be identified.
        return graphql_error_response(
            503,
            "The gateway's database is unavailable; try again shortly.",
            "DATABASE_UNAVAILABLE",
            {"Retry-After": "2"},
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled gateway error")
        return graphql_error_response(500, "Internal error.", "INTERNAL_ERROR")
