"""The reference frontend: static files under ``web/``, every asset served from here (no CDN)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request, send_from_directory

WEB = Path(__file__).parent / "web"
CSP = "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"


def init_frontend(app: Flask) -> None:
    @app.get("/")
    def index():
        return send_from_directory(WEB, "index.html")

    @app.get("/web/<path:name>")
    def web_asset(name: str):
        return send_from_directory(WEB, name)

    @app.after_request
    def _web_headers(response):
        if request.endpoint in ("index", "web_asset"):
            response.headers["Content-Security-Policy"] = CSP
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response
