"""Every actor module, imported in one place: what ``flowyard worker`` loads.

Importing it also installs our structured logging in each worker process (the worker is
started with Dramatiq's ``--skip-logging`` so lines are not printed twice).
"""

from sqlalchemy.orm import configure_mappers

from flowyard.db import models as _all_tables  # noqa: F401  (every table, before mapping)
from flowyard.integrations import actors as integration_actors  # noqa: F401
from flowyard.monitoring.logs import configure_logging
from flowyard.monitoring.sentry import init_sentry
from flowyard.settings import get_settings
from flowyard.webhooks import actors as webhook_actors  # noqa: F401
from flowyard.workers import engine_actors, health, maintenance  # noqa: F401

# Configure every ORM mapper now, in one thread: left to the first queries, eight worker
# threads racing to configure them can see "X is not mapped" on a cold start.
configure_mappers()
configure_logging(json_lines=get_settings().is_production, component="worker")
init_sentry(get_settings(), "worker")
