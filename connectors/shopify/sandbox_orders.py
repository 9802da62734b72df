"""The sandbox's order listing with Shopify's cursor paging (opaque ``page_info`` in ``Link``)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.shopify.sandbox_store import Shop, ShopifyError

PAGE_FILTERS = ("status", "financial_status", "created_at_min")


def _cursor(data: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _uncursor(page_info: str) -> dict[str, Any]:
    try:
        return json.loads(base64.urlsafe_b64decode(page_info + "=" * (-len(page_info) % 4)))
    except ValueError:
        raise ShopifyError(400, {"page_info": ["Invalid value."]}) from None


def list_orders(shop: Shop, request: Request) -> Response:
    """``GET /orders.json``: filters on the first page; later pages take only ``limit`` and
    ``page_info`` (the cursor carries the filters), linked with ``rel=next``/``previous``."""
    query = request.query_params
    limit = int(query.get("limit", 50))
    if not 1 <= limit <= 250:
        raise ShopifyError(400, {"limit": ["must be between 1 and 250"]})
    if "page_info" in query:
        if set(query) - {"page_info", "limit", "fields"}:
            raise ShopifyError(
                400, {"page_info": ["cannot be combined with other filters than limit"]}
            )
        cursor = _uncursor(query["page_info"])
        filters = cursor.get("filters", {})
    else:
        cursor, filters = {}, {k: query[k] for k in PAGE_FILTERS if k in query}
    ids = sorted(o["id"] for o in shop.orders.values() if _matches(shop, o, filters))
    if "before" in cursor:
        page_ids = [i for i in ids if i < cursor["before"]][-limit:]
    else:
        page_ids = [i for i in ids if i > cursor.get("after", -1)][:limit]
    base = str(request.url.replace(query=""))

    def link(rel: str, **position: int) -> str:
        page_info = _cursor({**position, "filters": filters})
        return f'<{base}?{urlencode({"limit": limit, "page_info": page_info})}>; rel="{rel}"'

    links = []
    if page_ids and page_ids[0] != ids[0]:
        links.append(link("previous", before=page_ids[0]))
    if page_ids and page_ids[-1] != ids[-1]:
        links.append(link("next", after=page_ids[-1]))
    headers = {"Link": ", ".join(links)} if links else {}
    return JSONResponse({"orders": [shop.orders[i] for i in page_ids]}, headers=headers)


def _matches(shop: Shop, order: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    status = filters.get("status", "open")
    if status != "any" and shop.order_status(order) != status:
        return False
    paid = filters.get("financial_status")
    if paid and paid != "any" and order.get("financial_status") != paid:
        return False
    since = filters.get("created_at_min")
    return not since or order["created_at"] >= since
