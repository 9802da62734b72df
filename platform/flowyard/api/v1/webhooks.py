"""``/tenants/{tenant_id}/webhook-subscriptions``: a client account's outbound webhooks."""

from __future__ import annotations

from sqlmodel import col, select

from flowyard.api.v1 import errors
from flowyard.api.v1.registry import router
from flowyard.api.v1.router import Call
from flowyard.api.v1.schemas import (
    Page,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)
from flowyard.api.v1.scope import one, tenant_db
from flowyard.security import audit
from flowyard.webhooks import subscriptions
from flowyard.webhooks.models import WebhookSubscription
from tenants.validation import InvalidInput

BASE = "/tenants/{tenant_id}/webhook-subscriptions"


def _out(s: WebhookSubscription) -> SubscriptionOut:
    return SubscriptionOut.model_validate(s, from_attributes=True)


def _own(db, call: Call) -> WebhookSubscription:  # type: ignore[no-untyped-def]
    """Only the tenant's own subscriptions (agency-wide ones are managed by the agency)."""
    row = one(db, WebhookSubscription, call.id("subscription_id"), "That webhook")
    if row.tenant_id != call.id("tenant_id"):
        raise errors.not_found("That webhook")
    return row


@router.add("GET", BASE, action="webhook.view", summary="List webhook subscriptions",
            query=Page, response=SubscriptionOut, many=True, tag="Webhooks")  # fmt: skip
def list_subscriptions(call: Call) -> list[SubscriptionOut]:
    with tenant_db(call) as (db, tenant):
        rows = db.exec(
            select(WebhookSubscription).where(WebhookSubscription.tenant_id == tenant.id)
            .order_by(col(WebhookSubscription.created_at), col(WebhookSubscription.id))
            .offset(call.query.offset).limit(call.query.limit)
        ).all()  # fmt: skip
        return [_out(s) for s in rows]


@router.add("GET", BASE + "/{subscription_id}", action="webhook.view",
            summary="Get a webhook subscription", response=SubscriptionOut,
            tag="Webhooks")  # fmt: skip
def get_subscription(call: Call) -> SubscriptionOut:
    with tenant_db(call) as (db, _tenant):
        return _out(_own(db, call))


@router.add("POST", BASE, action="webhook.manage", summary="Subscribe an endpoint to events "
            "(the signing secret is in this response only)", body=SubscriptionIn,
            response=SubscriptionCreated, status=201, tag="Webhooks")  # fmt: skip
def create_subscription(call: Call) -> SubscriptionCreated:
    body: SubscriptionIn = call.body
    with tenant_db(call) as (db, tenant):
        try:
            sub, secret = subscriptions.create(
                db, agency_id=tenant.agency_id, tenant_id=tenant.id, url=body.url,
                event_types=body.event_types, description=body.description,
            )  # fmt: skip
        except InvalidInput as bad:
            raise errors.invalid(bad.field, bad.message) from None
        audit.record("webhook.create", tenant_id=tenant.id, agency_id=tenant.agency_id,
                     target_type="webhook_subscription", target_id=sub.id,
                     after={"event_types": sub.event_types})  # fmt: skip
        return SubscriptionCreated(**_out(sub).model_dump(), secret=secret)


@router.add("PATCH", BASE + "/{subscription_id}", action="webhook.manage",
            summary="Change a webhook subscription", body=SubscriptionPatch,
            response=SubscriptionOut, tag="Webhooks")  # fmt: skip
def update_subscription(call: Call) -> SubscriptionOut:
    body: SubscriptionPatch = call.body
    with tenant_db(call) as (db, _tenant):
        sub = _own(db, call)
        try:
            subscriptions.update(db, sub, url=body.url, event_types=body.event_types,
                                 description=body.description)  # fmt: skip
            if body.enabled is not None:
                subscriptions.set_enabled(db, sub, body.enabled)
        except InvalidInput as bad:
            raise errors.invalid(bad.field, bad.message) from None
        return _out(sub)


@router.add("DELETE", BASE + "/{subscription_id}", action="webhook.manage",
            summary="Delete a webhook subscription", response=SubscriptionOut,
            tag="Webhooks")  # fmt: skip
def delete_subscription(call: Call) -> SubscriptionOut:
    with tenant_db(call) as (db, tenant):
        sub = _own(db, call)
        gone = _out(sub)
        db.delete(sub)
        db.commit()
        audit.record("webhook.delete", tenant_id=tenant.id, agency_id=tenant.agency_id,
                     target_type="webhook_subscription", target_id=gone.id)  # fmt: skip
        return gone
