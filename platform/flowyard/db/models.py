"""Imports every table module so SQLModel.metadata (and Alembic) sees the whole schema."""

from sqlmodel import SQLModel

import flowyard.security.sessions  # noqa: F401
import tenants.models  # noqa: F401

metadata = SQLModel.metadata
