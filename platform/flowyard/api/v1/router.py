"""A small router that records every operation with its models, action and responses.

From that record it builds the Starlette routes (authentication, rate limit, policy check,
validation, error mapping — in that order, for every operation) and the OpenAPI document, so
the document cannot drift from what the code accepts.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flowyard.api.v1 import errors
from flowyard.api.v1.errors import ApiError, ErrorBody
from flowyard.security import api_keys, cors, permissions, ratelimit
from flowyard.security.api_keys import ApiPrincipal

PREFIX = "/api/v1"
ERROR_STATUSES = {
    401: "No valid API key (missing, unknown, expired or revoked).",
    403: "The key's scopes don't allow this.",
    404: "Not found, or it belongs to another account.",
    413: "The request body is over 1 MiB.",
    422: "The input is not valid; `error.fields` says which field and why.",
    429: "Too many requests for this key; see Retry-After.",
}


@dataclass
class Call:
    """One API request as a handler sees it: who, which path ids, validated query and body."""

    principal: ApiPrincipal
    path: dict[str, str]
    query: Any
    body: Any
    ip: str | None

    def id(self, name: str) -> uuid.UUID:
        try:
            return uuid.UUID(self.path[name])
        except (KeyError, ValueError):
            raise errors.invalid(name, "Use the id as a UUID, e.g. 3f0c…-…") from None


@dataclass
class Operation:
    method: str
    path: str
    action: str
    summary: str
    handler: Callable[[Call], Any]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    many: bool = False
    status: int = 200
    tag: str = ""
    conflict: bool = False

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


@dataclass
class ApiRouter:
    operations: list[Operation] = field(default_factory=list)

    def add(self, method: str, path: str, *, action: str, summary: str, **options: Any):  # type: ignore[no-untyped-def]
        permissions.action(action)  # typo → import error

        def decorate(handler: Callable[[Call], Any]) -> Callable[[Call], Any]:
            self.operations.append(Operation(method, path, action, summary, handler, **options))
            return handler

        return decorate

    def routes(self) -> list[Route]:
        by_path: dict[str, list[Operation]] = {}
        for op in self.operations:
            by_path.setdefault(op.path, []).append(op)
        return [
            Route(PREFIX + path, _endpoint(ops), methods=[*(o.method for o in ops), "OPTIONS"])
            for path, ops in by_path.items()
        ]

    def openapi(self) -> dict[str, Any]:
        return build_openapi(self.operations)


# --- the request pipeline --------------------------------------------------------------------
def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def _parse_json(raw: bytes) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not allowed in JSON")

    return json.loads(raw, parse_constant=refuse)


def _has_nul(value: Any, depth: int = 0) -> bool:
    if depth > 64:
        return True
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


def _too_big_number(value: Any, depth: int = 0) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) > 2**63
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict) and depth < 64:
        return any(_too_big_number(v, depth + 1) for v in value.values())
    if isinstance(value, list) and depth < 64:
        return any(_too_big_number(v, depth + 1) for v in value)
    return False


async def _validated_body(request: Request, model: type[BaseModel]) -> BaseModel:
    raw = await request.body()
    try:
        data = _parse_json(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid("body", "The request body must be valid JSON.") from None
    if data is None:
        raise errors.invalid("body", "Send a JSON object as the request body.")
    if _has_nul(data):
        raise errors.invalid("body", "Text must not contain NUL characters.")
    if _too_big_number(data):
        raise errors.invalid("body", "Numbers must be finite and fit in 64 bits.")
    try:
        return model.model_validate(data)
    except ValidationError as bad:
        raise errors.from_validation(bad) from None


def _validated_query(request: Request, model: type[BaseModel]) -> BaseModel:
    params = dict(request.query_params)
    if any("\x00" in v for v in params.values()):
        raise errors.invalid("query", "Query values must not contain NUL characters.")
    try:
        return model.model_validate(params)
    except ValidationError as bad:
        raise errors.from_validation(bad, prefix="query") from None


def _render(op: Operation, result: Any) -> Any:
    if op.many:
        return [item.model_dump(mode="json") for item in result]
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    return result


def _endpoint(ops: list[Operation]) -> Callable[[Request], Any]:
    by_method = {op.method: op for op in ops}

    async def endpoint(request: Request) -> Response:
        origin = request.headers.get("origin")
        if request.method == "OPTIONS":
            return await run_in_threadpool(cors.preflight, origin, request.headers)
        op = by_method[request.method]
        headers: dict[str, str] = {}
        try:
            principal = await run_in_threadpool(api_keys.authenticate, _presented_key(request))
            if principal is None:
                raise ApiError(401, "unauthorized", "Send a valid API key: "
                               "`Authorization: Bearer fy_…`.",
                               headers={"WWW-Authenticate": 'Bearer realm="api"'})  # fmt: skip
            headers.update(await run_in_threadpool(cors.response_headers, origin, principal))
            limit = await run_in_threadpool(cors.requests_per_minute, principal)
            decision = await run_in_threadpool(ratelimit.hit, f"key:{principal.key_id}", limit)
            headers.update(decision.headers())
            if not decision.allowed:
                wait = decision.reset_seconds
                raise ApiError(429, "rate_limited", f"This key may make {limit} requests a "
                               f"minute. Try again in {wait} seconds.")  # fmt: skip
            if not permissions.key_allows(op.action, principal.scopes):
                entry = permissions.action(op.action)
                raise ApiError(403, "forbidden", f"This key needs the {entry.key_scope!r} scope "
                               "for that.")  # fmt: skip
            query = _validated_query(request, op.query) if op.query else None
            body = await _validated_body(request, op.body) if op.body else None
            call = Call(principal, dict(request.path_params), query, body,
                        request.client.host if request.client else None)  # fmt: skip
            result = await run_in_threadpool(op.handler, call)
        except ApiError as failure:
            return failure.response(headers)
        return JSONResponse(_render(op, result), status_code=op.status, headers=headers)

    endpoint.__name__ = "api_" + "_".join(o.operation_id for o in ops)
    return endpoint


# --- OpenAPI ---------------------------------------------------------------------------------
def _error_response(text: str) -> dict[str, Any]:
    return {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }


def _query_parameters(model: type[BaseModel], refs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def build_openapi(operations: list[Operation]) -> dict[str, Any]:
    """OpenAPI 3.1 from the recorded operations and their pydantic models."""
    pairs: list[tuple[type[BaseModel], Any]] = [(ErrorBody, "serialization")]
    for op in operations:
        if op.body:
            pairs.append((op.body, "validation"))
        if op.response:
            pairs.append((op.response, "serialization"))
    refs, defs = models_json_schema(
        list(dict.fromkeys(pairs)), ref_template="#/components/schemas/{model}"
    )
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        entry: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "tags": [op.tag] if op.tag else [],
            "x-flowyard-action": op.action,
            "x-api-key-scope": permissions.action(op.action).key_scope,
            "security": [{"apiKey": []}],
            "parameters": [
                {"name": name, "in": "path", "required": True,
                 "schema": {"type": "string", "format": "uuid"}}
                for name in _path_names(op.path)
            ] + (_query_parameters(op.query, refs) if op.query else []),
        }  # fmt: skip
        if op.body:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        ok_schema: dict[str, Any] = (
            refs[(op.response, "serialization")] if op.response else {"type": "object"}
        )
        if op.many:
            ok_schema = {"type": "array", "items": ok_schema}
        responses: dict[str, Any] = {
            str(op.status): {
                "description": "Success",
                "content": {"application/json": {"schema": ok_schema}},
            }
        }
        for status, text in ERROR_STATUSES.items():
            responses[str(status)] = _error_response(text)
        if op.conflict:
            responses["409"] = _error_response("The record is not in a state that allows this.")
        entry["responses"] = responses
        paths.setdefault(PREFIX + op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Automations API",
            "version": "1.0.0",
            "description": "Manage client accounts, workflows, runs and webhooks. Authenticate "
            "with an API key (`Authorization: Bearer fy_…`); each key may make a limited number "
            "of requests per minute (see the RateLimit-* headers).",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
        },
    }


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]
