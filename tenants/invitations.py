"""Invitations: a tenant admin asks someone to join one client account with a role.

The invitee gets a single-use link holding a random token; the database keeps only its SHA-256,
an expiry and who invited them. Accepting creates the account (or adds the membership to an
existing one) and marks the invitation used, in one transaction.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, String
from sqlmodel import Field, Session, SQLModel, col, select

from tenants.models import Membership, Tenant, User, timestamp, utcnow
from tenants.ownership import TenantOwned
from tenants.roles import TENANT_ROLES, Role
from tenants.service import find_user
from tenants.validation import InvalidInput, clean_email, clean_name

INVITE_TTL = timedelta(days=7)
INVITABLE_ROLES = (Role.TENANT_ADMIN, Role.EDITOR, Role.VIEWER)


class Invitation(TenantOwned, SQLModel, table=True):
    """A pending (or used) invitation to one tenant."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(sa_column=Column(String(254), nullable=False, index=True))
    role: Role = Field(sa_column=Column(String(32), nullable=False))
    token_hash: str = Field(max_length=64, unique=True, index=True)
    invited_by: uuid.UUID | None = Field(
        default=None, foreign_key="app_user.id", ondelete="SET NULL"
    )
    created_at: datetime = timestamp()
    expires_at: datetime = timestamp()
    accepted_at: datetime | None = timestamp(nullable=True)


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str  # shown once, in the link; never stored


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(
    db: Session,
    tenant: Tenant,
    email: str,
    role: Role | str,
    *,
    invited_by: uuid.UUID | None,
    ttl: timedelta = INVITE_TTL,
) -> NewInvitation:
    """Invite ``email`` to ``tenant`` as ``role``; refuses people who already have access."""
    address = clean_email(email)
    try:
        chosen = Role(role)
    except ValueError:
        raise InvalidInput("role", "Choose a role for this person.") from None
    if chosen not in TENANT_ROLES:
        raise InvalidInput("role", "Choose tenant admin, editor or viewer.")
    existing = find_user(db, address)
    if (
        existing is not None
        and db.exec(
            select(Membership.id).where(
                Membership.user_id == existing.id, Membership.tenant_id == tenant.id
            )
        ).first()
    ):
        raise InvalidInput("email", f"{address} can already open {tenant.name}.")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation = Invitation(
        tenant_id=tenant.id,
        email=address,
        role=chosen,
        token_hash=token_digest(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + ttl,
    )
    db.add(invitation)
    db.commit()
    return NewInvitation(invitation, token)


def open_invitation(db: Session, token: str | None) -> Invitation | None:
    """The unused, unexpired invitation a link token belongs to, else None."""
    if not token or len(token) > 200:
        return None
    return db.exec(
        select(Invitation).where(
            Invitation.token_hash == token_digest(token),
            col(Invitation.accepted_at).is_(None),
            Invitation.expires_at > utcnow(),
        )
    ).first()


def accept_invitation(
    db: Session,
    invitation: Invitation,
    *,
    full_name: str,
    password_hash: str | None,
) -> User:
    """Create the invitee's account (or reuse it) with the invited role, in one commit.

    ``password_hash`` is only used for a new account; for an existing one the caller has
    already checked that person's own password.
    """
    if invitation.accepted_at is not None:
        raise InvalidInput("token", "This invitation has already been used.")
    tenant = db.get(Tenant, invitation.tenant_id)
    if tenant is None:
        raise InvalidInput("token", "This client account no longer exists.")
    user = find_user(db, invitation.email)
    if user is None:
        name = clean_name(full_name, field="full_name", what="name")
        user = User(email=clean_email(invitation.email), full_name=name,
                    password_hash=password_hash)  # fmt: skip
        db.add(user)
        db.flush()
    membership = db.exec(
        select(Membership).where(
            Membership.user_id == user.id, Membership.tenant_id == invitation.tenant_id
        )
    ).first()
    if membership is None:
        membership = Membership(user_id=user.id, agency_id=tenant.agency_id,
                                tenant_id=tenant.id, role=Role(invitation.role))  # fmt: skip
    else:
        membership.role = Role(invitation.role)
    invitation.accepted_at = utcnow()
    db.add_all([membership, invitation])
    db.commit()  # account, membership and "used" mark together, or none of them
    return user
