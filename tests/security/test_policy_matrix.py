"""Every role against every protected action, through the real membership look-ups.

The expected table is written out here independently of the policy module, so a change to
the policy must be made twice (on purpose): once in code, once in this reviewed matrix.
"""

from __future__ import annotations

import pytest

from flowyard.security import guard
from flowyard.security.permissions import ACTIONS, POLICY, Forbidden, allowed
from support.security_world import World
from tenants.roles import Role

O, A, S, T, E, V, P = "owner", "admin", "support", "tadmin", "editor", "viewer", "plugin"  # noqa: E741
CODES = {
    O: Role.AGENCY_OWNER, A: Role.AGENCY_ADMIN, S: Role.SUPPORT_AGENT, T: Role.TENANT_ADMIN,
    E: Role.EDITOR, V: Role.VIEWER, P: Role.PLUGIN_DEVELOPER,
}  # fmt: skip
EXPECTED: dict[str, set[str]] = {
    "agency.view": {O, A, S},
    "agency.branding.edit": {O, A},
    "agency.security.manage": {O, A},
    "agency.apikey.manage": {O, A},
    "agency.audit.view": {O, A},
    "agency.compliance.view": {O, A},
    "agency.webhook.view": {O, A},
    "agency.webhook.manage": {O, A},
    "agency.member.manage": {O},
    "gdpr.person": {O},
    "tenant.create": {O, A},
    "plugin.view": {O, A, P},
    "plugin.manage": {P},
    "tenant.view": {O, A, S, T, E, V},
    "tenant.settings.edit": {O, A, T},
    "tenant.user.invite": {O, A, T},
    "tenant.member.manage": {O, A, T},
    "workflow.view": {O, A, S, T, E, V},
    "workflow.edit": {O, A, T, E},
    "workflow.publish": {O, A, T, E},
    "workflow.delete": {O, A, T},
    "execution.view": {O, A, S, T, E, V},
    "execution.run": {O, A, T, E},
    "execution.cancel": {O, A, T, E},
    "connection.view": {O, A, T, E, V},
    "connection.manage": {O, A, T},
    "webhook.view": {O, A, T, E, V},
    "webhook.manage": {O, A, T},
    "apikey.manage": {O, A, T},
    "audit.view": {O, A, T},
    "gdpr.export": {O, A, T},
    "gdpr.erase": {O, A},
    "ticket.view": {O, A, S, T, E, V},
    "ticket.manage": {O, A, S, T},
    "help.view": {O, A, S, T, E, V},
}
MATRIX = [(name, code) for name in EXPECTED for code in CODES]


def test_the_reviewed_matrix_names_every_action_in_the_policy() -> None:
    assert set(EXPECTED) == set(POLICY)
    assert len(ACTIONS) == len(POLICY), "an action is defined twice"


@pytest.mark.parametrize(("action", "who"), MATRIX)
def test_role_matrix(action: str, who: str) -> None:
    assert allowed(action, CODES[who]) is (who in EXPECTED[action])


def test_support_agents_never_see_connections_tokens_or_keys() -> None:
    for name in ("connection.view", "connection.manage", "apikey.manage", "webhook.view",
                 "agency.apikey.manage"):  # fmt: skip
        assert not allowed(name, Role.SUPPORT_AGENT), name
    assert allowed("ticket.view", Role.SUPPORT_AGENT)


def test_plugin_developers_only_reach_plugins() -> None:
    reachable = {a.name for a in ACTIONS if allowed(a.name, Role.PLUGIN_DEVELOPER)}
    assert reachable == {"plugin.view", "plugin.manage"}


def test_unknown_actions_and_roles_fail_closed() -> None:
    assert not allowed("workflow.teleport", Role.AGENCY_OWNER)
    assert not allowed("workflow.view", "emperor")
    assert not allowed("workflow.view", None)


@pytest.mark.parametrize("who", [*CODES])
def test_authorize_uses_the_real_memberships(world: World, who: str) -> None:
    """Tenant actions on A1 (where tenant roles live) and agency actions on agency A, for real
    users; nobody in agency A reaches agency B's client."""
    user = world.users[CODES[who].value]
    for entry in ACTIONS:
        where = ({"tenant_id": world.tenant_a1} if entry.scope == "tenant"
                 else {"agency_id": world.agency_a})  # fmt: skip
        should = who in EXPECTED[entry.name]
        if should:
            guard.authorize(user, entry.name, **where)
        else:
            with pytest.raises(Forbidden):
                guard.authorize(user, entry.name, **where)
        other = ({"tenant_id": world.tenant_b1} if entry.scope == "tenant"
                 else {"agency_id": world.agency_b})  # fmt: skip
        with pytest.raises(Forbidden):
            guard.authorize(user, entry.name, **other)


def test_tenant_roles_do_not_reach_sibling_clients(world: World) -> None:
    with pytest.raises(Forbidden):
        guard.authorize(world.users["tenant_admin"], "workflow.view", tenant_id=world.tenant_a2)
    guard.authorize(world.users["agency_admin"], "workflow.edit", tenant_id=world.tenant_a2)
