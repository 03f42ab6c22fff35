"""Ops tests reuse the real-services fixtures of the integration tier (Kafka and Redis of `make services`)."""

from tests.integration.conftest import private_redis, services, start_service  # noqa: F401
