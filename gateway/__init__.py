"""The GraphQL gateway: one API over the catalogue, packages and bookings services.

It holds no domain data; it owns API keys (hashed) and nothing else. From the services it
imports only their generic kit (settings, request ids and logs, the service-token format,
the outbound HTTP client, money rounding), never a service's domain code.
"""
