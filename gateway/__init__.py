"""The GraphQL gateway: one API over the catalogue, packages and bookings services.

It holds no domain data; it owns API keys (hashed) and rate-limit counters, nothing else.
From the services it imports only ``services.common``: settings, the database connection,
request ids and logs, service tokens, the outbound HTTP client, money, localization and the
contracts, and the shared declarations (error codes, who may call what, the booking
lifecycle). Never a service's domain code: ``lint-imports`` holds this.
"""
