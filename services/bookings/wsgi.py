"""gunicorn entry point: ``gunicorn services.bookings.wsgi:app``."""

from .app import create_app

app = create_app()
