"""GDPR export is complete (every tenant-owned table, discovered from metadata) and erasure
leaves no personal data anywhere (every text and JSON column of every table is searched)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlmodel import select

from flowyard.compliance import gdpr
from flowyard.compliance.tables import tenant_tables
from flowyard.db import system_session, tenant_session
from flowyard.engine import executions, versions
from flowyard.security import api_keys, audit
from flowyard.security.models import ApiKey
from flowyard.security.passwords import hash_password
from support.security_world import World
from tenants import service
from tenants.invitations import create_invitation
from tenants.models import Tenant, User
from tenants.roles import Role

DOC = {"name": "Welcome", "trigger": {"kind": "manual"}, "edges": [], "steps": [
    {"kind": "action", "id": "a", "name": "A", "action": "core.set_fields",
     "inputs": {"fields": {"who": "{{trigger.email}}"}}}]}  # fmt: skip
EMAIL, NAME = "erin.erased@client.example", "Erin Erasable"


def _populate(world: World) -> dict[str, object]:
    """A tenant-only person with data mentioning them everywhere we can think of."""
    with system_session() as db:
        erin = service.create_user(db, EMAIL, full_name=NAME, password_hash=hash_password("x" * 12))
        service.grant(db, erin, world.agency_a, Role.EDITOR, world.tenant_a1)
    with tenant_session(world.tenant_a1) as db:
        wf = versions.create_workflow(db, world.tenant_a1, "Welcome", DOC)
        versions.publish(db, wf, user_id=erin.id)
        executions.start_execution(db, wf, {"email": EMAIL, "name": NAME})
        tenant = db.get(Tenant, world.tenant_a1)
        create_invitation(db, tenant, "friend.of.erin@client.example", "viewer", invited_by=erin.id)
        api_keys.create_key(db, agency_id=world.agency_a, tenant_id=world.tenant_a1, name="CRM",
                            scopes=["read"], created_by=erin.id)  # fmt: skip
    audit.record("login.success", agency_id=world.agency_a, actor_user_id=erin.id,
                 actor_email=EMAIL, ip="203.0.113.9")  # fmt: skip
    audit.record("tenant.user.invite", agency_id=world.agency_a, tenant_id=world.tenant_a1,
                 details={"email": EMAIL})  # fmt: skip
    return {"erin": erin.id}


def test_export_contains_every_tenant_owned_table_and_only_that_tenant(world: World) -> None:
    _populate(world)
    export = gdpr.export_tenant(world.tenant_a1)
    archive = zipfile.ZipFile(io.BytesIO(export.data))
    names = set(archive.namelist())
    for table in tenant_tables():
        assert f"json/{table.name}.json" in names and f"csv/{table.name}.csv" in names
    assert {"workflow", "execution", "membership", "api_key", "invitation"} <= {
        t.name for t in tenant_tables()
    }
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["tables"]["workflow"] == 1 and manifest["tables"]["execution"] == 1
    assert manifest["tables"]["membership"] == 4  # tenant admin, editor, viewer, Erin
    people = json.loads(archive.read("json/people.json"))
    assert EMAIL in {p["email"] for p in people}
    execution = json.loads(archive.read("json/execution.json"))[0]
    assert execution["trigger_payload"]["email"] == EMAIL or EMAIL in json.dumps(execution)
    key = json.loads(archive.read("json/api_key.json"))[0]
    assert key["secret_hash"] == "[redacted]"
    everything = b"".join(archive.read(n) for n in names).decode()
    assert str(world.tenant_b1) not in everything and str(world.tenant_a2) not in everything
    assert "Beta" not in everything


def test_tenant_erasure_leaves_no_personal_data_and_keeps_tombstones(world: World) -> None:
    _populate(world)
    before = audit.verify().checked
    result = gdpr.erase_tenant(world.tenant_a1)
    assert result.people_deleted == 4  # the three tenant-role people of A1 and Erin
    for needle in (EMAIL, NAME, "203.0.113.9", "friend.of.erin@client.example",
                   "tenant-admin@alpha.example"):  # fmt: skip
        assert gdpr.find_mentions(needle) == {}, needle
    with system_session() as db:
        assert db.get(Tenant, world.tenant_a1) is None
        assert db.exec(select(ApiKey).where(ApiKey.tenant_id == world.tenant_a1)).all() == []
        assert db.get(Tenant, world.tenant_a2) is not None  # the sibling is untouched
        assert db.exec(select(User).where(User.email == "agency-owner@alpha.example")).first()
    report = audit.verify()
    assert report.ok, report.problems
    assert report.checked == before + 1  # every event kept, plus the erasure itself


def test_person_erasure_by_email_blanks_every_mention(world: World) -> None:
    _populate(world)
    exported = gdpr.export_person(EMAIL)
    assert exported["account"]["full_name"] == NAME
    assert "203.0.113.9" in {e["ip"] for e in exported["audit_events"]}
    gdpr.erase_person(EMAIL)
    assert gdpr.find_mentions(EMAIL) == {}
    assert gdpr.find_mentions(NAME) == {}
    assert gdpr.find_mentions("203.0.113.9") == {}
    assert audit.verify().ok
    with pytest.raises(LookupError):
        gdpr.export_person(EMAIL)
