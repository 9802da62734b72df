"""Shopify actions: orders (get, list with ``page_info`` paging), customers (find by email,
create), products (get) and inventory (adjust the available quantity at a location).

The REST Admin API has no Idempotency-Key. Customers are unique by email, so a retried "create
customer" that meets 422 "has already been taken" returns the existing customer. Adjusting
inventory is relative and *not* idempotent on Shopify's side: the step should not auto-retry
after a timeout (the engine's retry policy decides; the description says so).
"""

from __future__ import annotations

from typing import Any

from connectors.shopify.client import call, page_info, request
from connectors.shopify.models import (
    AdjustInventoryInputs,
    CreateCustomerInputs,
    CreateCustomerOutputs,
    Customer,
    FindCustomerInputs,
    FindCustomerOutputs,
    GetOrderInputs,
    GetProductInputs,
    InventoryLevel,
    ListOrdersInputs,
    ListOrdersOutputs,
    Order,
    Product,
    drop_none,
)
from marketplace.sdk import Action, ActionContext, InvalidInputError


def get_order(ctx: ActionContext, inputs: GetOrderInputs) -> Order:
    return Order.model_validate(call(ctx, "GET", f"/orders/{inputs.order_id}.json")["order"])


def list_orders(ctx: ActionContext, inputs: ListOrdersInputs) -> ListOrdersOutputs:
    """With a cursor Shopify allows only ``limit`` (the cursor carries the filters)."""
    if inputs.page_info:
        params: dict[str, Any] = {"limit": inputs.limit, "page_info": inputs.page_info}
    else:
        params = drop_none(
            {
                "limit": inputs.limit,
                "status": inputs.status,
                "financial_status": inputs.financial_status,
                "created_at_min": inputs.created_at_min,
            }
        )
    response = request(ctx, "GET", "/orders.json", params=params)
    return ListOrdersOutputs(
        orders=[Order.model_validate(o) for o in response.json().get("orders") or []],
        next_page_info=page_info(response, "next"),
        previous_page_info=page_info(response, "previous"),
    )


def _by_email(ctx: ActionContext, email: str) -> Customer | None:
    query = {"query": f'email:"{email.strip()}"', "limit": 1}
    found = call(ctx, "GET", "/customers/search.json", params=query).get("customers") or []
    return Customer.model_validate(found[0]) if found else None


def find_customer(ctx: ActionContext, inputs: FindCustomerInputs) -> FindCustomerOutputs:
    customer = _by_email(ctx, inputs.email)
    return FindCustomerOutputs(found=customer is not None, customer=customer)


def create_customer(ctx: ActionContext, inputs: CreateCustomerInputs) -> CreateCustomerOutputs:
    body = drop_none(
        {
            "email": inputs.email,
            "first_name": inputs.first_name,
            "last_name": inputs.last_name,
            "phone": inputs.phone,
            "note": inputs.note,
            "tags": ", ".join(inputs.tags) or None,
        }
    )
    try:
        raw = call(ctx, "POST", "/customers.json", json={"customer": body})["customer"]
    except InvalidInputError as error:
        said = str((error.details or {}).get("provider_message", ""))
        existing = _by_email(ctx, inputs.email) if "already been taken" in said else None
        if existing is None:
            raise
        return CreateCustomerOutputs(customer=existing, created=False)
    return CreateCustomerOutputs(customer=Customer.model_validate(raw), created=True)


def get_product(ctx: ActionContext, inputs: GetProductInputs) -> Product:
    path = f"/products/{inputs.product_id}.json"
    return Product.model_validate(call(ctx, "GET", path)["product"])


def adjust_inventory(ctx: ActionContext, inputs: AdjustInventoryInputs) -> InventoryLevel:
    location = inputs.location_id
    if location is None:
        active = [
            loc
            for loc in call(ctx, "GET", "/locations.json").get("locations") or []
            if loc.get("active", True)
        ]
        if not active:
            raise InvalidInputError("This Shopify store has no active location to adjust stock at.")
        location = int(active[0]["id"])
    body = {
        "location_id": location,
        "inventory_item_id": inputs.inventory_item_id,
        "available_adjustment": inputs.adjustment,
    }
    level = call(ctx, "POST", "/inventory_levels/adjust.json", json=body)["inventory_level"]
    return InventoryLevel.model_validate(level)


ACTIONS = (
    Action("get_order", "Get order", "Fetch one order with its customer and line items.",
           GetOrderInputs, get_order, Order),
    Action("list_orders", "List orders", "Orders page by page (page_info cursor paging).",
           ListOrdersInputs, list_orders, ListOrdersOutputs),
    Action("find_customer", "Find customer by email", "Search customers for an exact email.",
           FindCustomerInputs, find_customer, FindCustomerOutputs),
    Action("create_customer", "Create customer", "Add a customer (returns the existing one if "
           "the email is already taken).", CreateCustomerInputs, create_customer,
           CreateCustomerOutputs),
    Action("get_product", "Get product", "Fetch a product with its variants and stock.",
           GetProductInputs, get_product, Product),
    Action("adjust_inventory", "Adjust inventory", "Add or remove available units of an "
           "inventory item at a location (relative: don't retry blindly after a timeout).",
           AdjustInventoryInputs, adjust_inventory, InventoryLevel),
)  # fmt: skip
