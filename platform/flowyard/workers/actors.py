"""Every actor module, imported in one place: what ``flowyard worker`` loads.

Importing it also installs our structured logging in each worker process (the worker is
started with Dramatiq's ``--skip-logging`` so lines are not printed twice).
"""

from flowyard.integrations import actors as integration_actors  # noqa: F401
from flowyard.monitoring.logs import configure_logging
from flowyard.monitoring.sentry import init_sentry
from flowyard.settings import get_settings
from flowyard.webhooks import actors as webhook_actors  # noqa: F401
from flowyard.workers import engine_actors, health, maintenance  # noqa: F401

configure_logging(json_lines=get_settings().is_production, component="worker")
init_sentry(get_settings(), "worker")
