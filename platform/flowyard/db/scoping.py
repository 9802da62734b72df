"""Tenant scoping in one place, so forgetting it is impossible.

Every session carries a :class:`Scope`. Two SQLAlchemy event hooks enforce it:

* ``do_orm_execute`` adds ``WHERE tenant_id = …`` / ``agency_id = …`` criteria to every ORM
  SELECT, UPDATE and DELETE that touches a :class:`~tenants.ownership.TenantOwned` or
  :class:`~tenants.ownership.AgencyOwned` table — and refuses to run at all in a session
  that has no scope;
* ``before_flush`` refuses to insert, change or delete a row owned by another tenant.

Background processes that legitimately work across tenants (the scheduler, the outbox relay)
open a :func:`system_session`, which is explicit and greppable.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlmodel import Session as SQLModelSession
from sqlmodel import SQLModel

from flowyard.db.engine import get_engine
from tenants.models import Tenant
from tenants.ownership import AgencyOwned, TenantOwned

SCOPE_KEY = "flowyard_scope"


class UnscopedAccess(RuntimeError):
    """A session without a scope tried to read or write tenant-owned data."""


class CrossTenantAccess(PermissionError):
    """A write touched a row that belongs to another tenant or agency."""


@dataclass(frozen=True)
class Scope:
    """Who a session acts for: one tenant, one agency (all its tenants), or the system."""

    tenant_id: uuid.UUID | None = None
    agency_id: uuid.UUID | None = None
    system: bool = False

    def allows_tenant(self, session: Session, tenant_id: uuid.UUID | None) -> bool:
        if self.system:
            return True
        if tenant_id is None:
            return False
        if self.tenant_id is not None:
            return tenant_id == self.tenant_id
        owner = session.execute(
            select(Tenant.agency_id).where(Tenant.id == tenant_id)  # type: ignore[arg-type]
        ).scalar_one_or_none()
        return owner is not None and owner == self.agency_id

    def allows_agency(self, agency_id: uuid.UUID | None) -> bool:
        return self.system or (agency_id is not None and agency_id == self.agency_id)


def scope_of(session: Session) -> Scope | None:
    return session.info.get(SCOPE_KEY)


def _tenant_ids_of_agency(agency_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return select(Tenant.id).where(Tenant.agency_id == agency_id)  # type: ignore[arg-type]


def _mapped_subclasses(mixin: type) -> tuple[type, ...]:
    """Concrete mapped classes that carry ``mixin`` (SQLModel mixin fields are not columns,
    so criteria must name each mapped class rather than the mixin)."""
    mappers = SQLModel._sa_registry.mappers  # type: ignore[attr-defined]
    key = (mixin, len(mappers))
    cached = _OWNED_CACHE.get(key)
    if cached is None:
        cached = tuple(m.class_ for m in mappers if issubclass(m.class_, mixin))
        _OWNED_CACHE[key] = cached
    return cached


_OWNED_CACHE: dict[tuple[type, int], tuple[type, ...]] = {}


def _criteria(scope: Scope) -> tuple[object, ...]:
    """The loader criteria of a scope, built once per (tenant, agency) and mapper count.

    Why cached: building them (one option per tenant-owned table) cost about half a
    millisecond per ORM statement; the options are immutable and their lambdas' closure
    values become bound parameters, so the same objects serve every statement of the scope.
    """
    mappers = len(SQLModel._sa_registry.mappers)  # type: ignore[attr-defined]
    return _criteria_for(scope.tenant_id, scope.agency_id, mappers)


@functools.lru_cache(maxsize=2048)
def _criteria_for(
    tenant_id: uuid.UUID | None, agency_id: uuid.UUID | None, _mappers: int
) -> tuple[object, ...]:
    options: list[object] = []
    for cls in _mapped_subclasses(TenantOwned):
        if tenant_id is not None:
            options.append(
                with_loader_criteria(cls, lambda c: c.tenant_id == tenant_id, include_aliases=True)
            )
        else:
            options.append(
                with_loader_criteria(
                    cls,
                    lambda c: c.tenant_id.in_(_tenant_ids_of_agency(agency_id)),
                    include_aliases=True,
                )
            )
    for cls in _mapped_subclasses(AgencyOwned):
        options.append(
            with_loader_criteria(cls, lambda c: c.agency_id == agency_id, include_aliases=True)
        )
    if tenant_id is not None:
        options.append(
            with_loader_criteria(Tenant, lambda c: c.id == tenant_id, include_aliases=True)
        )
        for cls in _mapped_subclasses(AgencyOwned):
            if "tenant_id" in cls.__table__.c:  # type: ignore[attr-defined]
                options.append(
                    with_loader_criteria(
                        cls, lambda c: c.tenant_id == tenant_id, include_aliases=True
                    )
                )
    return tuple(options)


@event.listens_for(Session, "do_orm_execute")
def _apply_scope(state: ORMExecuteState) -> None:
    if state.is_column_load or state.is_relationship_load:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scope = scope_of(state.session)
    if scope is None:
        raise UnscopedAccess(
            "This database session has no tenant scope. Open it with tenant_session(), "
            "agency_session() or system_session()."
        )
    if scope.system:
        return
    state.statement = state.statement.options(*_criteria(scope))


@event.listens_for(Session, "before_flush")
def _guard_writes(session: Session, _flush_context: object, _instances: object) -> None:
    scope = scope_of(session)
    touched = list(session.new) + list(session.dirty) + list(session.deleted)
    owned = [obj for obj in touched if isinstance(obj, TenantOwned | AgencyOwned | Tenant)]
    if not owned:
        return
    if scope is None:
        raise UnscopedAccess("Refusing to write tenant-owned rows from an unscoped session.")
    if scope.system:
        return
    for obj in owned:
        if isinstance(obj, TenantOwned):
            if obj in session.new and obj.tenant_id is None and scope.tenant_id is not None:
                obj.tenant_id = scope.tenant_id
            if not scope.allows_tenant(session, obj.tenant_id):
                raise CrossTenantAccess("That record belongs to another client account.")
            _refuse_owner_change(obj, "tenant_id")
        if isinstance(obj, AgencyOwned) and not isinstance(obj, TenantOwned):
            _guard_optional_tenant(session, scope, obj)
        if isinstance(obj, AgencyOwned):
            if obj in session.new and obj.agency_id is None:
                obj.agency_id = scope.agency_id  # type: ignore[assignment]
            if not scope.allows_agency(obj.agency_id):
                raise CrossTenantAccess("That record belongs to another agency.")
            _refuse_owner_change(obj, "agency_id")
        if isinstance(obj, Tenant) and scope.tenant_id is not None and obj.id != scope.tenant_id:
            raise CrossTenantAccess("That record belongs to another client account.")


def _guard_optional_tenant(session: Session, scope: Scope, obj: object) -> None:
    """Agency rows that may name a tenant (e.g. memberships) obey the tenant line too."""
    if "tenant_id" not in obj.__table__.c:  # type: ignore[attr-defined]
        return
    tenant_id = obj.tenant_id  # type: ignore[attr-defined]
    if scope.tenant_id is not None and tenant_id != scope.tenant_id:
        raise CrossTenantAccess("That record belongs to another client account.")
    if tenant_id is not None and not scope.allows_tenant(session, tenant_id):
        raise CrossTenantAccess("That record belongs to another client account.")
    _refuse_owner_change(obj, "tenant_id")


def _refuse_owner_change(obj: object, attribute: str) -> None:
    from sqlalchemy import inspect

    history = inspect(obj).attrs[attribute].history
    if history.deleted and any(value is not None for value in history.deleted):
        raise CrossTenantAccess("A record cannot be moved to another owner.")


def tenant_session(tenant_id: uuid.UUID) -> SQLModelSession:
    """A session that sees and writes only ``tenant_id``'s rows (and its agency's branding)."""
    session = SQLModelSession(get_engine(), expire_on_commit=False)
    agency_id = _AGENCY_OF.get(tenant_id)
    if agency_id is None:
        session.info[SCOPE_KEY] = Scope(system=True)
        agency_id = session.execute(
            select(Tenant.__table__.c.agency_id).where(Tenant.__table__.c.id == tenant_id)
        ).scalar_one_or_none()
        if agency_id is not None:
            _AGENCY_OF[tenant_id] = agency_id  # a tenant never changes agency
    session.info[SCOPE_KEY] = Scope(tenant_id=tenant_id, agency_id=agency_id)
    return session


_AGENCY_OF: dict[uuid.UUID, uuid.UUID] = {}
"""Tenant → agency, cached per process: every worker message opens a tenant session."""


def agency_session(agency_id: uuid.UUID) -> SQLModelSession:
    """A session that sees the agency's own rows and every row of its tenants."""
    session = SQLModelSession(get_engine(), expire_on_commit=False)
    session.info[SCOPE_KEY] = Scope(agency_id=agency_id)
    return session


def system_session() -> SQLModelSession:
    """An unrestricted session for cross-tenant background work; use sparingly and on purpose."""
    session = SQLModelSession(get_engine(), expire_on_commit=False)
    session.info[SCOPE_KEY] = Scope(system=True)
    return session
