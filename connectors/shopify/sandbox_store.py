"""One simulated Shopify store: orders, customers, products, locations and inventory levels.

Records keep the REST Admin API's shape (integer ids, money as strings, ISO timestamps with the
shop's offset); every order change calls ``emit(topic, order)`` for the webhooks Shopify sends.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.sandbox_kit import Clock


class ShopifyError(Exception):
    """Answered as ``{"errors": …}`` with ``status``."""

    def __init__(self, status: int, errors: Any) -> None:
        super().__init__(str(errors))
        self.status, self.errors = status, errors


Emit = Callable[[str, dict[str, Any]], None]
"""(topic, payload) of a webhook, e.g. ("orders/paid", order)."""


@dataclass
class Shop:
    domain: str
    clock: Clock
    emit: Emit = lambda _topic, _payload: None
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    locations: dict[int, dict[str, Any]] = field(default_factory=dict)
    levels: dict[tuple[int, int], int] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(450_789_469))
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1001))

    def __post_init__(self) -> None:
        location = self._new(self.locations, name="Main warehouse", active=True)
        self.default_location = location["id"]

    def now(self) -> str:
        return dt.datetime.fromtimestamp(self.clock.now(), tz=dt.UTC).isoformat(timespec="seconds")

    def _new(self, store: dict[int, dict[str, Any]], **fields: Any) -> dict[str, Any]:
        record = {
            "id": next(self._ids),
            **fields,
            "created_at": self.now(),
            "updated_at": self.now(),
        }
        store[record["id"]] = record
        return record

    def get(self, store: dict[int, dict[str, Any]], record_id: int) -> dict[str, Any]:
        if record_id not in store:
            raise ShopifyError(404, "Not Found")
        return store[record_id]

    # -- customers -----------------------------------------------------------------------------
    def search_customers(self, query: str) -> list[dict[str, Any]]:
        """Supports what the connector sends: ``email:"x@y"`` (or a bare word in any field)."""
        field_name, sep, wanted = query.partition(":")
        wanted = (wanted if sep else field_name).strip().strip('"').lower()
        keys = (field_name,) if sep else ("email", "first_name", "last_name")
        return [
            c
            for c in self.customers.values()
            if any(str(c.get(k) or "").lower() == wanted for k in keys)
        ]

    def create_customer(self, data: Mapping[str, Any]) -> dict[str, Any]:
        email = str(data.get("email") or "").strip().lower()
        if not email and not data.get("phone") and not data.get("last_name"):
            raise ShopifyError(422, {"customer": ["must have a name, phone number or email"]})
        if email and "@" not in email:
            raise ShopifyError(422, {"email": ["is invalid"]})
        if email and self.search_customers(f"email:{email}"):
            raise ShopifyError(422, {"email": ["has already been taken"]})
        fields = {k: data.get(k) for k in ("first_name", "last_name", "phone", "note")}
        return self._new(
            self.customers,
            email=email or None,
            **fields,
            tags=str(data.get("tags") or ""),
            orders_count=0,
            state="disabled",
            verified_email=True,
        )

    # -- products and inventory ----------------------------------------------------------------
    def add_product(self, title: str, variants: list[tuple[str, str, int]]) -> dict[str, Any]:
        """(variant title, price, stock at the default location) for each variant."""
        product = self._new(
            self.products,
            title=title,
            handle=title.lower().replace(" ", "-"),
            status="active",
            vendor="Sandbox",
            product_type="",
            variants=[],
        )
        for name, price, stock in variants:
            item_id = next(self._ids)
            self.levels[(item_id, self.default_location)] = stock
            variant = {"id": next(self._ids), "product_id": product["id"], "title": name,
                       "price": price, "sku": f"SKU-{item_id}", "inventory_item_id": item_id,
                       "inventory_management": "shopify"}  # fmt: skip
            product["variants"].append(variant)
        return product

    def product(self, product_id: int) -> dict[str, Any]:
        product = self.get(self.products, product_id)
        for variant in product["variants"]:
            variant["inventory_quantity"] = sum(
                n for (item, _loc), n in self.levels.items() if item == variant["inventory_item_id"]
            )
        return product

    def adjust(self, location_id: int, item_id: int, delta: int) -> dict[str, Any]:
        if location_id not in self.locations:
            raise ShopifyError(404, "Not Found")
        if not any(item == item_id for item, _loc in self.levels):
            raise ShopifyError(422, ["Inventory item does not have inventory tracking enabled"])
        available = self.levels.get((item_id, location_id), 0) + delta
        self.levels[(item_id, location_id)] = available
        return {
            "inventory_item_id": item_id,
            "location_id": location_id,
            "available": available,
            "updated_at": self.now(),
            "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item_id}",
        }

    # -- orders (created by the "storefront": tests and the demo) ----------------------------
    def create_order(self, email: str, items: list[tuple[dict[str, Any], int]]) -> dict[str, Any]:
        """An order for (variant, quantity) pairs; emits ``orders/create``."""
        customer = next(iter(self.search_customers(f"email:{email}")), None) or (
            self.create_customer({"email": email})
        )
        customer["orders_count"] += 1
        lines = [
            {"id": next(self._ids), "title": v["title"], "quantity": qty, "price": v["price"],
             "sku": v["sku"], "product_id": v["product_id"], "variant_id": v["id"]}
            for v, qty in items
        ]  # fmt: skip
        total = sum((Decimal(line["price"]) * line["quantity"] for line in lines), Decimal(0))
        number = next(self._numbers)
        order = self._new(
            self.orders,
            name=f"#{number}",
            order_number=number,
            email=email,
            currency="USD",
            total_price=f"{total:.2f}",
            subtotal_price=f"{total:.2f}",
            financial_status="pending",
            fulfillment_status=None,
            cancelled_at=None,
            closed_at=None,
            customer={k: customer[k] for k in ("id", "email", "first_name", "last_name")},
            line_items=lines,
        )
        order["admin_graphql_api_id"] = f"gid://shopify/Order/{order['id']}"
        self.emit("orders/create", order)
        return order

    def _change(self, order_id: int, topic: str, **fields: Any) -> dict[str, Any]:
        order = self.get(self.orders, order_id)
        order.update(fields, updated_at=self.now())
        self.emit(topic, order)
        return order

    def mark_paid(self, order_id: int) -> dict[str, Any]:
        return self._change(order_id, "orders/paid", financial_status="paid")

    def fulfill(self, order_id: int) -> dict[str, Any]:
        return self._change(order_id, "orders/fulfilled", fulfillment_status="fulfilled")

    def order_status(self, order: Mapping[str, Any]) -> str:
        if order.get("cancelled_at"):
            return "cancelled"
        return "closed" if order.get("closed_at") else "open"
