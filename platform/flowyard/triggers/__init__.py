"""What starts executions: manual runs, schedules, platform events (and webhooks)."""
