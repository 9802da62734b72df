"""Xero: a token reaches one or more organisations; ``GET /connections`` says which.

The first organisation is used (Xero's consent screen lets the user pick which ones to share);
every shared one is remembered so the page can name them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

TOKEN_AUTH_METHOD = "client_secret_basic"


def after_token(
    http: httpx.Client, _token: Mapping[str, Any], _remembered: Mapping[str, Any]
) -> dict[str, Any]:
    response = http.get("/connections", headers={"Accept": "application/json"})
    response.raise_for_status()
    tenants = [t for t in response.json() if t.get("tenantType", "ORGANISATION") == "ORGANISATION"]
    if not tenants:
        raise ValueError("Xero didn't share any organisation with us. Connect again and tick one.")
    chosen = tenants[0]
    return {
        "label": chosen.get("tenantName") or "Xero organisation",
        "extras": {
            "xero_tenant_id": chosen["tenantId"],
            "xero_tenants": [
                {"id": t["tenantId"], "name": t.get("tenantName", "")} for t in tenants
            ],
        },
    }
