"""The pure rules, without a database or a service: these tests run in seconds."""
