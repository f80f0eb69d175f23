"""gunicorn entry point: ``gunicorn services.webhooks.wsgi:app``."""

from .app import create_app

app = create_app()
