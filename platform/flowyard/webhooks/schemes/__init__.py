"""One module per provider signature scheme; `flowyard.webhooks.verify` holds the registry."""
