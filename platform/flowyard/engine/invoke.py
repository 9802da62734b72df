"""Runs one connector action for a step: the only place actions meet the outside world.

It builds the action's context (a guarded, authenticated httpx client, the idempotency key, a
logger, event emission), and turns transport failures into classified SDK errors so the
step's retry policy can decide what to do.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from flowyard import __version__
from flowyard.engine import conditions, mapping
from flowyard.engine.connections import client_for_connection
from flowyard.net import DestinationRefused, SyncGuardedTransport
from flowyard.settings import get_settings
from marketplace import registry
from marketplace.sdk import (
    Action,
    ActionContext,
    ActionError,
    ActionTimeout,
    Connector,
    NetworkError,
)

log = logging.getLogger("flowyard.actions")
USER_AGENT = f"Flowyard/{__version__}"


def _refuse(request: httpx.Request) -> httpx.Response:
    raise ActionError("This step is not allowed to make network requests.")


_NO_NETWORK = httpx.Client(transport=httpx.MockTransport(_refuse))


class UnknownAction(ActionError):
    kind = "unknown_action"


def resolve(action_key: str) -> tuple[Connector, Action]:
    found = registry.find_action(action_key)
    if found is None:
        raise UnknownAction(f'The action "{action_key}" is not installed.')
    return found


def performs_io(action_key: str) -> bool:
    found = registry.find_action(action_key)
    return True if found is None else found[1].performs_io


@functools.cache
def literal_inputs(action_key: str) -> frozenset[str]:
    """Inputs the action evaluates itself (cached: installed actions don't change)."""
    found = registry.find_action(action_key)
    return frozenset(mapping.literal_fields(found[1].input_schema())) if found else frozenset()


def guarded_client(timeout: float) -> httpx.Client:
    """An httpx client that refuses private and internal destinations unless allow-listed."""
    return httpx.Client(
        transport=SyncGuardedTransport(allow=get_settings().http_allow_entries),
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
        max_redirects=5,
    )


def invoke(
    action_key: str,
    inputs: Mapping[str, Any],
    *,
    tenant_id: uuid.UUID,
    connection_id: str | None,
    idempotency_key: str,
    timeout: float,
    emit: Callable[[str, Mapping[str, Any]], None],
) -> dict[str, Any]:
    """Run the action and return its output; raise a classified ``ActionError`` on failure."""
    connector, action = resolve(action_key)
    credentials: dict[str, Any] = {}
    if not action.performs_io:
        client = _NO_NETWORK
    elif connection_id:
        client, credentials = client_for_connection(tenant_id, connection_id, connector, timeout)
    else:
        client = guarded_client(timeout)
    ctx = ActionContext(
        http=client,
        idempotency_key=idempotency_key,
        log=log,
        emit=emit,
        credentials=credentials,
        evaluate_rule=conditions.test,
        settings={"smtp": _smtp_settings()} if connector.key == "email" else {},
    )
    try:
        return action.execute(ctx, inputs)
    except ActionError:
        raise
    except DestinationRefused as refused:
        raise ActionError(str(refused)) from None
    except httpx.TimeoutException:
        raise ActionTimeout(f"{action.name} took longer than {timeout:.0f} s.") from None
    except httpx.TransportError as error:
        raise NetworkError(f"{action.name} could not reach the service ({error}).") from None
    except conditions.ConditionError as error:
        raise ActionError(error.message) from None
    finally:
        if client is not _NO_NETWORK:
            client.close()


def _smtp_settings() -> dict[str, Any]:
    settings = get_settings()
    return {
        "host": settings.smtp_host,
        "port": settings.smtp_port,
        "username": settings.smtp_username,
        "password": settings.smtp_password,
        "sender": settings.smtp_from,
    }
