"""Every HTTP route and every Reflex event handler is covered by the policy, or says why not.

Routes: every Starlette route mounted through ``web/app.py``'s ``api_transformer`` (and so
/api/v1) must be an /api/v1 operation with a policy action, or carry ``@public_route`` and be
listed in ``guard.PUBLIC_ROUTES``. Handlers: every event handler of every state class in
``flowyard.web.state`` must carry one marker from ``flowyard.security.guard``.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from flowyard.api.v1.registry import router
from flowyard.api.v1.router import PREFIX
from flowyard.security import guard
from flowyard.security.permissions import POLICY

# Handlers written before the policy markers existed, by the helper who owns each file. Each
# must get @protected/@self_checked/@signed_in/@page_load/@public; the list may only shrink.
PENDING: dict[str, str] = {}

# Routes added before the markers existed; their owners must check the policy (the OAuth
# start needs ``guard.authorize(user, "connection.manage", tenant_id=…)``) and then mark them.
PENDING_ROUTES: dict[str, str] = {}


def _starlette_apps() -> list[Starlette]:
    from flowyard.web import app as web_app

    transformers = web_app.app.api_transformer
    items = transformers if isinstance(transformers, list | tuple) else [transformers]
    return [item for item in items if isinstance(item, Starlette)]


def _routes(routes: list, prefix: str = "") -> list[tuple[str, Route]]:  # type: ignore[type-arg]
    found = []
    for route in routes:
        if isinstance(route, Mount):
            found += _routes(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            found.append((prefix + route.path, route))
    return found


def test_every_http_route_is_protected_or_declared_public(redis_server_url: str) -> None:
    apps = _starlette_apps()  # importing the app registers every /api/v1 operation
    api_paths = {PREFIX + op.path for op in router.operations}
    problems, seen = [], 0
    for app in apps:
        for path, route in _routes(app.routes):
            seen += 1
            if path in api_paths or path in PENDING_ROUTES:
                continue
            marker = guard.marker_of(route.endpoint)
            if path not in guard.PUBLIC_ROUTES:
                problems.append(f"{path}: not an /api/v1 operation and not in PUBLIC_ROUTES")
            elif marker is None or marker.kind != "public":
                problems.append(f"{path}: listed as public but the endpoint lacks @public_route")
    assert seen >= 10
    assert not problems, "\n".join(problems)
    assert api_paths <= {p for a in _starlette_apps() for p, _r in _routes(a.routes)}


def test_every_api_operation_names_a_policy_action_with_a_key_scope() -> None:
    for op in router.operations:
        assert op.action in POLICY, op.path
        assert POLICY[op.action].key_scope is not None, f"{op.path}: {op.action} is UI-only"


def _state_classes() -> list[type]:
    import flowyard.web.state as package

    classes = []
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == module.__name__
                and hasattr(value, "event_handlers")
            ):
                classes.append(value)
    return classes


def _handlers() -> list[tuple[str, object]]:
    found = []
    for cls in _state_classes():
        for name, handler in cls.event_handlers.items():
            fn = handler.fn
            if not getattr(fn, "__module__", "").startswith("flowyard."):
                continue  # Reflex's own (setvar, hydration)
            if not fn.__qualname__.startswith(cls.__name__ + "."):
                continue  # inherited: counted on the class that defines it
            found.append((f"{cls.__name__}.{name}", fn))
    return found


def test_every_reflex_event_handler_carries_a_policy_marker(redis_server_url: str) -> None:
    handlers = _handlers()
    assert len(handlers) >= 20
    missing = sorted(name for name, fn in handlers
                     if guard.marker_of(fn) is None and name not in PENDING)  # fmt: skip
    assert not missing, "Handlers without a policy marker:\n" + "\n".join(missing)
    marked = {name for name, fn in handlers if guard.marker_of(fn) is not None}
    stale = sorted(set(PENDING) & marked)
    assert not stale, f"Marked now, remove from PENDING: {stale}"


@pytest.mark.parametrize("kind", ["protected", "self_checked"])
def test_markers_name_real_actions(kind: str, redis_server_url: str) -> None:
    for name, fn in _handlers():
        marker = guard.marker_of(fn)
        if marker is not None and marker.kind == kind:
            assert marker.action in POLICY, name
