"""The roles a membership can grant, and which of them act at agency or tenant level."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    AGENCY_OWNER = "agency_owner"
    AGENCY_ADMIN = "agency_admin"
    TENANT_ADMIN = "tenant_admin"
    EDITOR = "editor"
    VIEWER = "viewer"
    SUPPORT_AGENT = "support_agent"
    PLUGIN_DEVELOPER = "plugin_developer"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_agency_wide(self) -> bool:
        """Agency-wide roles see every tenant of the agency."""
        return self in AGENCY_WIDE_ROLES


AGENCY_WIDE_ROLES = frozenset({Role.AGENCY_OWNER, Role.AGENCY_ADMIN, Role.SUPPORT_AGENT})
TENANT_ROLES = frozenset({Role.TENANT_ADMIN, Role.EDITOR, Role.VIEWER})
