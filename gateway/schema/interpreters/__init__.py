"""Interpreters and their providers: who interprets for which clinics, managed by the clinics' admins and
the platform's."""
