"""Connected apps: OAuth connections with an encrypted token vault, the authenticated clients
workflow steps use, provider-aware rate limits, connection health and sync jobs."""
