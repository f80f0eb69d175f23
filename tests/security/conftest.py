"""The gateway fixtures (an app over the real services, with test API keys) serve the security suite too."""
from tests.gateway.conftest import gateway, make_gateway  # noqa: F401
