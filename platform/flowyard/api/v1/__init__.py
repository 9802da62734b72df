"""The public REST API, ``/api/v1``: API-key authentication, rate limits, one RBAC policy."""
