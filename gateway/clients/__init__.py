"""The services as the gateway calls them: one module per service, one function per remote call.

Resolvers and loaders call these functions and never build a path or a query string themselves.
Every function takes the request's context first (the caller's token, request id, language).
"""
