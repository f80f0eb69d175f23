"""The kit every ClinicBridge service is built from.

A service package holds only its domain; everything here is shared: configuration,
the app factory, the database connection, problem errors, request validation against
``schemas/``, pagination, service tokens, health, request ids and JSON logs, OpenAPI.
"""
