"""The ``/api/v1`` Starlette app: every resource, the OpenAPI document and a docs page."""

from __future__ import annotations

import functools
import html
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from flowyard.api.v1 import connections, executions, tenants, webhooks, workflows
from flowyard.api.v1.registry import router
from flowyard.security.guard import public_route

RESOURCE_MODULES = (tenants, workflows, executions, webhooks, connections)


@functools.cache
def openapi_document() -> dict[str, Any]:
    return router.openapi()


@public_route("the API description is public")
async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi_document())


@public_route("documentation page")
async def docs_page(request: Request) -> Response:
    rows = []
    for path, methods in openapi_document()["paths"].items():
        for method, op in methods.items():
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code>"
                f"</td><td>{html.escape(op['summary'])}</td>"
                f"<td>{html.escape(str(op.get('x-api-key-scope') or ''))}</td></tr>"
            )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>API reference</title>
<style>body{{font-family:system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:6px;
text-align:left;vertical-align:top}}code{{font-size:0.9em}}</style></head><body>
<h1>API reference</h1>
<p>Authenticate every request with an API key from <a href="/api-keys">API keys</a>:
<code>Authorization: Bearer fy_…</code>. Each key has scopes (read, write, execute) and a limit
of requests per minute; answers carry <code>RateLimit-*</code> headers and a 429 with
<code>Retry-After</code> when the limit is reached. Errors are JSON with field-level messages.</p>
<p>Machine-readable description: <a href="/api/v1/openapi.json">openapi.json</a>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th><th>Key scope</th></tr>
</thead><tbody>{"".join(rows)}</tbody></table></body></html>"""
    return HTMLResponse(page)


def api_app() -> Starlette:
    """The Starlette app Reflex mounts (``api_transformer``); also served alone in tests."""
    return Starlette(
        routes=[
            Route("/api/v1/openapi.json", openapi_json, methods=["GET"]),
            Route("/api/v1/docs", docs_page, methods=["GET"]),
            *router.routes(),
        ]
    )
