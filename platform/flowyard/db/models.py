"""Imports every table module so SQLModel.metadata (and Alembic) sees the whole schema."""

from sqlmodel import SQLModel

from flowyard.engine import models as engine_models
from flowyard.integrations import models as integration_models
from flowyard.security import models as security_models
from flowyard.security import sessions as login_sessions
from flowyard.security import sso_models
from flowyard.triggers import models as trigger_models
from flowyard.webhooks import models as webhook_models
from flowyard.workers import outbox
from tenants import invitations
from tenants import models as tenant_models

TABLE_MODULES = (
    tenant_models,
    invitations,
    login_sessions,
    engine_models,
    trigger_models,
    outbox,
    webhook_models,
    integration_models,
    security_models,
    sso_models,
)
metadata = SQLModel.metadata
