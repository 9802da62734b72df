"""Per-agency single sign-on settings: saving them, finding them, and who must use SSO.

Only people who already belong to the agency (staff or a client's user) can sign in through
SSO: there is no auto-provisioning, so a working company account alone never creates access.
"Require SSO" applies to the agency's staff (agency-wide memberships); its clients' users sign
in with their passwords as before, since they are not in the agency's identity provider.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import Session, select

from flowyard.db import system_session
from flowyard.security import vault
from flowyard.security.sso_models import AgencySso
from flowyard.settings import get_settings
from tenants.models import Agency, Membership, User, utcnow
from tenants.validation import InvalidInput, clean_email

MAX_DOMAINS = 20


class SsoSettingsError(ValueError):
    """Settings an administrator typed that we cannot use; the message is shown as is."""


@dataclass(frozen=True)
class SsoConfig:
    """What the sign-in flow needs, with the client secret decrypted."""

    agency_id: uuid.UUID
    agency_slug: str
    issuer: str
    client_id: str
    client_secret: str
    allowed_domains: tuple[str, ...]
    require_sso: bool
    counts_as_mfa: bool


@dataclass(frozen=True)
class SsoView:
    """What the settings page shows (never the secret itself)."""

    enabled: bool = False
    issuer: str = ""
    client_id: str = ""
    has_secret: bool = False
    allowed_domains: tuple[str, ...] = ()
    require_sso: bool = False
    counts_as_mfa: bool = False


def vault_context(agency_id: uuid.UUID) -> str:
    """The vault binding of an agency's OIDC client secret."""
    return f"agency:{agency_id}:oidc"


def _local_http_allowed() -> bool:
    return get_settings().environment in ("development", "test")


def check_issuer(url: str) -> str:
    """The issuer URL without a trailing slash; https only (local http in development/test)."""
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if not parts.hostname or parts.query or parts.fragment or parts.username:
        raise SsoSettingsError("Enter the issuer URL your identity provider gives you.")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and _local_http_allowed():
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = parts.hostname == "localhost"
        if loopback:
            return url
    raise SsoSettingsError("The issuer URL must start with https://.")


def clean_domains(text: str) -> list[str]:
    """Email domains from a comma- or space-separated list, lower-case, without '@'."""
    domains: list[str] = []
    for raw in text.replace(",", " ").split():
        domain = raw.strip().lstrip("@").lower()
        try:
            clean_email(f"someone@{domain}")
        except InvalidInput:
            raise SsoSettingsError(f"{raw!r} is not an email domain.") from None
        if domain not in domains:
            domains.append(domain)
    if len(domains) > MAX_DOMAINS:
        raise SsoSettingsError(f"List at most {MAX_DOMAINS} email domains.")
    return domains


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


def _row(db: Session, agency_id: uuid.UUID) -> AgencySso | None:
    return db.exec(select(AgencySso).where(AgencySso.agency_id == agency_id)).first()


def view(db: Session, agency_id: uuid.UUID) -> SsoView:
    """The agency's settings for the form."""
    row = _row(db, agency_id)
    if row is None:
        return SsoView()
    return SsoView(row.enabled, row.issuer, row.client_id, bool(row.client_secret),
                   tuple(row.allowed_domains), row.require_sso, row.counts_as_mfa)  # fmt: skip


def save(
    db: Session,
    agency_id: uuid.UUID,
    *,
    enabled: bool,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    domains: str,
    require_sso: bool,
    counts_as_mfa: bool,
) -> SsoView:
    """Validate and store (commits). ``client_secret`` None or empty keeps the stored one."""
    issuer_url = check_issuer(issuer) if (issuer.strip() or enabled) else ""
    client_id = client_id.strip()
    if enabled and not client_id:
        raise SsoSettingsError("Enter the client ID from your identity provider.")
    allowed = clean_domains(domains)
    if enabled and not allowed:
        raise SsoSettingsError("List at least one email domain allowed to sign in.")
    row = _row(db, agency_id) or AgencySso(agency_id=agency_id)
    if client_secret:
        row.client_secret = vault.encrypt(client_secret.strip(), context=vault_context(agency_id))
    if enabled and not row.client_secret:
        raise SsoSettingsError("Enter the client secret from your identity provider.")
    row.enabled, row.issuer, row.client_id = enabled, issuer_url, client_id[:200]
    row.allowed_domains, row.require_sso = allowed, require_sso and enabled
    row.counts_as_mfa, row.updated_at = counts_as_mfa, utcnow()
    db.add(row)
    db.commit()
    return view(db, agency_id)


def _config(row: AgencySso, slug: str) -> SsoConfig:
    secret = vault.decrypt(row.client_secret or "", context=vault_context(row.agency_id))
    return SsoConfig(row.agency_id, slug, row.issuer, row.client_id, secret,
                     tuple(row.allowed_domains), row.require_sso, row.counts_as_mfa)  # fmt: skip


def config_for_slug(slug: str) -> SsoConfig | None:
    """The enabled SSO settings of the agency with this slug, or None."""
    with system_session() as db:
        found = db.exec(
            select(AgencySso, Agency.slug)
            .join(Agency, Agency.id == AgencySso.agency_id)  # type: ignore[arg-type]
            .where(Agency.slug == slug.lower()[:64], AgencySso.enabled == True)  # noqa: E712
        ).first()
    return _config(*found) if found else None


def config_for_agency(agency_id: uuid.UUID) -> SsoConfig | None:
    with system_session() as db:
        row, agency = _row(db, agency_id), db.get(Agency, agency_id)
    if row is None or agency is None or not row.enabled:
        return None
    return _config(row, agency.slug)


def _enabled_rows(db: Session) -> list[tuple[AgencySso, str]]:
    rows = db.exec(
        select(AgencySso, Agency.slug)
        .join(Agency, Agency.id == AgencySso.agency_id)  # type: ignore[arg-type]
        .where(AgencySso.enabled == True)  # noqa: E712
    ).all()
    return [(row, slug) for row, slug in rows]


def agency_for_email(email: str) -> str | None:
    """The slug of the agency whose SSO accepts this email's domain (login page button)."""
    try:
        domain = domain_of(clean_email(email))
    except InvalidInput:
        return None
    with system_session() as db:
        for row, slug in _enabled_rows(db):
            if domain in row.allowed_domains:
                return slug
    return None


def password_login_refused(email: str) -> uuid.UUID | None:
    """The agency requiring SSO that refuses this password sign-in, or None.

    Refused when the email's domain is one of a require-SSO agency's domains (whether or not
    the account exists, so the answer reveals nothing about accounts), or when the person is
    staff of such an agency.
    """
    try:
        address = clean_email(email)
    except InvalidInput:
        return None
    with system_session() as db:
        strict = [row for row, _slug in _enabled_rows(db) if row.require_sso]
        if not strict:
            return None
        for row in strict:
            if domain_of(address) in row.allowed_domains:
                return row.agency_id
        user = db.exec(select(User).where(User.email == address)).first()
        if user is None:
            return None
        staff = db.exec(
            select(Membership.agency_id).where(
                Membership.user_id == user.id,
                Membership.tenant_id == None,  # noqa: E711
            )
        ).all()
    ids = {row.agency_id for row in strict}
    return next((agency_id for agency_id in staff if agency_id in ids), None)


def member_of(db: Session, user_id: uuid.UUID, agency_id: uuid.UUID) -> bool:
    """Whether the person has any membership (staff or client) in the agency."""
    found = db.exec(
        select(Membership.id).where(
            Membership.user_id == user_id, Membership.agency_id == agency_id
        )
    ).first()
    return found is not None
