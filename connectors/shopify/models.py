"""Typed inputs and outputs of the Shopify actions (the fields workflows use most)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Customer(BaseModel):
    id: int
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    tags: str = ""
    orders_count: int = 0
    created_at: str | None = None


class LineItem(BaseModel):
    id: int
    title: str
    quantity: int
    price: str
    sku: str | None = None
    product_id: int | None = None
    variant_id: int | None = None


class Order(BaseModel):
    id: int
    name: str = Field(description='What the merchant sees, e.g. "#1001".')
    email: str | None = None
    created_at: str | None = None
    currency: str | None = None
    total_price: str = "0.00"
    financial_status: str | None = None
    fulfillment_status: str | None = None
    customer: Customer | None = None
    line_items: list[LineItem] = Field(default_factory=list)


class GetOrderInputs(BaseModel):
    order_id: int


class ListOrdersInputs(BaseModel):
    status: Literal["open", "closed", "cancelled", "any"] = "any"
    financial_status: str | None = Field(None, description="e.g. paid, pending, refunded.")
    created_at_min: str | None = Field(None, description="ISO 8601; only orders since then.")
    limit: int = Field(50, ge=1, le=250)
    page_info: str | None = Field(
        None, description="Cursor from the previous page's next_page_info (filters are kept)."
    )


class ListOrdersOutputs(BaseModel):
    orders: list[Order]
    next_page_info: str | None = None
    previous_page_info: str | None = None


class FindCustomerInputs(BaseModel):
    email: str = Field(min_length=3)


class FindCustomerOutputs(BaseModel):
    found: bool
    customer: Customer | None = None


class CreateCustomerInputs(BaseModel):
    email: str = Field(min_length=3)
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    tags: list[str] = Field(default_factory=list)
    note: str | None = None


class CreateCustomerOutputs(BaseModel):
    customer: Customer
    created: bool = Field(description="False when a customer with this email already existed.")


class Variant(BaseModel):
    id: int
    title: str
    price: str
    sku: str | None = None
    inventory_item_id: int | None = None
    inventory_quantity: int | None = None


class Product(BaseModel):
    id: int
    title: str
    handle: str | None = None
    status: str | None = None
    vendor: str | None = None
    product_type: str | None = None
    variants: list[Variant] = Field(default_factory=list)


class GetProductInputs(BaseModel):
    product_id: int


class AdjustInventoryInputs(BaseModel):
    inventory_item_id: int = Field(description="From the product variant's inventory_item_id.")
    adjustment: int = Field(description="Units to add (negative to remove).")
    location_id: int | None = Field(None, description="Defaults to the store's first location.")


class InventoryLevel(BaseModel):
    inventory_item_id: int
    location_id: int
    available: int | None
    updated_at: str | None = None


def drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
