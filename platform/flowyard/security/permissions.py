"""Who may do what: one table from action to the roles that allow it.

Every handler that reads or changes protected data asks :func:`allowed` (or :func:`require`)
with the role the user holds where the action happens (the agency, or the tenant). The security
issue grows this table; nothing else decides permissions.
"""

from __future__ import annotations

from tenants.roles import Role

_AGENCY_ADMINS = frozenset({Role.AGENCY_OWNER, Role.AGENCY_ADMIN})
_EVERYONE_IN_TENANT = frozenset(
    {
        Role.AGENCY_OWNER,
        Role.AGENCY_ADMIN,
        Role.SUPPORT_AGENT,
        Role.TENANT_ADMIN,
        Role.EDITOR,
        Role.VIEWER,
    }
)

PERMISSIONS: dict[str, frozenset[Role]] = {
    "agency.view": frozenset({*_AGENCY_ADMINS, Role.SUPPORT_AGENT}),
    "agency.branding.edit": _AGENCY_ADMINS,
    "tenant.create": _AGENCY_ADMINS,
    "tenant.view": _EVERYONE_IN_TENANT,
    "tenant.user.invite": frozenset({*_AGENCY_ADMINS, Role.TENANT_ADMIN}),
}


class Forbidden(PermissionError):
    """The signed-in user's role does not allow this action; the message is user-facing."""


def allowed(action: str, role: Role | str | None) -> bool:
    """True when ``role`` may perform ``action``; unknown actions are refused (fail closed)."""
    if role is None:
        return False
    roles = PERMISSIONS.get(action)
    if roles is None:
        return False
    try:
        return Role(role) in roles
    except ValueError:
        return False


def require(action: str, role: Role | str | None) -> None:
    """Raise :class:`Forbidden` unless ``role`` may perform ``action``."""
    if not allowed(action, role):
        raise Forbidden("Your role doesn't allow this. Ask an administrator of your agency.")
