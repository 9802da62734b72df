"""The one RBAC policy: every action, where it is decided (agency or tenant) and who may do it.

Every handler that reads or changes protected data asks :func:`allowed` (or :func:`require`)
with the role the user holds *where the action happens*: the agency membership role for
``agency`` actions, the role in the tenant (agency-wide roles reach every tenant) for ``tenant``
actions. API keys are checked against ``key_scope``: the key must carry that scope and belong
to the tenant (or its agency). Nothing else decides permissions; other modules add their
actions here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tenants.roles import Role

Scope = Literal["agency", "tenant"]
KeyScope = Literal["read", "write", "execute"]

OWNER, ADMIN, SUPPORT = Role.AGENCY_OWNER, Role.AGENCY_ADMIN, Role.SUPPORT_AGENT
T_ADMIN, EDITOR, VIEWER = Role.TENANT_ADMIN, Role.EDITOR, Role.VIEWER
PLUGIN_DEV = Role.PLUGIN_DEVELOPER

_AGENCY_ADMINS = frozenset({OWNER, ADMIN})
_ACCOUNT_ADMINS = frozenset({OWNER, ADMIN, T_ADMIN})
_BUILDERS = frozenset({OWNER, ADMIN, T_ADMIN, EDITOR})
_MEMBERS = frozenset({OWNER, ADMIN, T_ADMIN, EDITOR, VIEWER})
_MEMBERS_AND_SUPPORT = _MEMBERS | {SUPPORT}


@dataclass(frozen=True)
class Action:
    """One protected action: where it is decided, who may do it, which API-key scope allows it."""

    name: str
    scope: Scope
    roles: frozenset[Role]
    key_scope: KeyScope | None = None
    summary: str = ""


def _a(
    name: str, scope: Scope, roles: frozenset[Role] | set[Role], key: KeyScope | None, text: str
) -> Action:
    return Action(name, scope, frozenset(roles), key, text)


ACTIONS: tuple[Action, ...] = (
    # --- agency-wide -----------------------------------------------------------------------
    _a("agency.view", "agency", _AGENCY_ADMINS | {SUPPORT}, "read", "See the agency's clients"),
    _a("agency.branding.edit", "agency", _AGENCY_ADMINS, None, "Change branding and domains"),
    _a("agency.security.manage", "agency", _AGENCY_ADMINS, None, "MFA policy, sign-on, CORS"),
    _a("agency.apikey.manage", "agency", _AGENCY_ADMINS, None, "Agency-wide API keys"),
    _a("agency.audit.view", "agency", _AGENCY_ADMINS, None, "Audit trail of all clients"),
    _a("agency.compliance.view", "agency", _AGENCY_ADMINS, None, "Compliance report"),
    _a("agency.webhook.view", "agency", _AGENCY_ADMINS, "read", "Agency-wide webhooks"),
    _a("agency.webhook.manage", "agency", _AGENCY_ADMINS, "write", "Agency-wide webhooks"),
    _a("agency.member.manage", "agency", frozenset({OWNER}), None, "Agency staff and roles"),
    _a("gdpr.person", "agency", frozenset({OWNER}), None, "Export or erase a person by email"),
    _a("tenant.create", "agency", _AGENCY_ADMINS, "write", "Add a client account"),
    _a("plugin.view", "agency", _AGENCY_ADMINS | {PLUGIN_DEV}, "read", "Plugins (own only)"),
    _a("plugin.manage", "agency", frozenset({PLUGIN_DEV}), None, "Publish own plugins"),
    # --- one client account ----------------------------------------------------------------
    _a("tenant.view", "tenant", _MEMBERS_AND_SUPPORT, "read", "Open the client account"),
    _a("tenant.settings.edit", "tenant", _ACCOUNT_ADMINS, None, "Client account settings"),
    _a("tenant.user.invite", "tenant", _ACCOUNT_ADMINS, None, "Invite people"),
    _a("tenant.member.manage", "tenant", _ACCOUNT_ADMINS, None, "Change roles, remove people"),
    _a("workflow.view", "tenant", _MEMBERS_AND_SUPPORT, "read", "See workflows"),
    _a("workflow.edit", "tenant", _BUILDERS, "write", "Create and edit workflows"),
    _a("workflow.publish", "tenant", _BUILDERS, "write", "Publish a workflow version"),
    _a("workflow.delete", "tenant", _ACCOUNT_ADMINS, "write", "Delete a workflow"),
    _a("execution.view", "tenant", _MEMBERS_AND_SUPPORT, "read", "See runs"),
    _a("execution.run", "tenant", _BUILDERS, "execute", "Start or rerun a workflow"),
    _a("execution.cancel", "tenant", _BUILDERS, "execute", "Cancel a run"),
    _a("connection.view", "tenant", _MEMBERS, "read", "See connection status"),
    _a("connection.manage", "tenant", _ACCOUNT_ADMINS, None, "Connect or disconnect apps"),
    _a("webhook.view", "tenant", _MEMBERS, "read", "See webhooks"),
    _a("webhook.manage", "tenant", _ACCOUNT_ADMINS, "write", "Add or change webhooks"),
    _a("apikey.manage", "tenant", _ACCOUNT_ADMINS, None, "Create, rotate and revoke API keys"),
    _a("audit.view", "tenant", _ACCOUNT_ADMINS, None, "See the audit trail"),
    _a("gdpr.export", "tenant", _ACCOUNT_ADMINS, None, "Download all the account's data"),
    _a("gdpr.erase", "tenant", _AGENCY_ADMINS, None, "Erase the account and its people"),
    _a("ticket.view", "tenant", _MEMBERS_AND_SUPPORT, None, "See support tickets"),
    _a("ticket.manage", "tenant", _ACCOUNT_ADMINS | {SUPPORT}, None, "Answer support tickets"),
    _a("help.view", "tenant", _MEMBERS_AND_SUPPORT, None, "Read help articles"),
)

POLICY: dict[str, Action] = {action.name: action for action in ACTIONS}
PERMISSIONS: dict[str, frozenset[Role]] = {a.name: a.roles for a in ACTIONS}


class Forbidden(PermissionError):
    """The signed-in user's role does not allow this action; the message is user-facing."""


class UnknownAction(KeyError):
    """Code asked about an action the policy does not define (a bug, not a user error)."""


def action(name: str) -> Action:
    """The policy entry for ``name``; raises :class:`UnknownAction` for a typo."""
    try:
        return POLICY[name]
    except KeyError:
        raise UnknownAction(f"No action {name!r} in the RBAC policy.") from None


def allowed(action_name: str, role: Role | str | None) -> bool:
    """True when ``role`` may perform the action; unknown actions are refused (fail closed)."""
    if role is None:
        return False
    entry = POLICY.get(action_name)
    if entry is None:
        return False
    try:
        return Role(role) in entry.roles
    except ValueError:
        return False


def require(action_name: str, role: Role | str | None) -> None:
    """Raise :class:`Forbidden` unless ``role`` may perform the action."""
    if not allowed(action_name, role):
        raise Forbidden("Your role doesn't allow this. Ask an administrator of your agency.")


def key_allows(action_name: str, scopes: set[str] | frozenset[str] | list[str]) -> bool:
    """True when an API key with ``scopes`` may perform the action (never for UI-only ones)."""
    entry = POLICY.get(action_name)
    return bool(entry and entry.key_scope and entry.key_scope in scopes)


def actions_for(role: Role | str) -> list[str]:
    """Every action the role allows (for documentation pages and the role-matrix test)."""
    return [a.name for a in ACTIONS if allowed(a.name, role)]
