"""HubSpot's token endpoint answers errors as ``{"status": "BAD_AUTH_CODE", "message": …}``
instead of RFC 6749's ``{"error": …}``; OAuth clients (authlib) would take that for a token.

Register :func:`rfc6749_errors` as authlib's ``access_token_response`` and
``refresh_token_response`` compliance hook so such answers raise a normal ``OAuthError``.
"""

from __future__ import annotations

import json

import httpx

_ERRORS = {
    "BAD_AUTH_CODE": "invalid_grant",
    "EXPIRED_AUTH_CODE": "invalid_grant",
    "BAD_REFRESH_TOKEN": "invalid_grant",
    "BAD_REDIRECT_URI": "invalid_grant",
    "BAD_CLIENT_ID": "invalid_client",
    "BAD_CLIENT_SECRET": "invalid_client",
    "BAD_GRANT_TYPE": "unsupported_grant_type",
}


def rfc6749_errors(response: httpx.Response) -> httpx.Response:
    """The same response, with a HubSpot-style error body rewritten to an RFC 6749 one."""
    if response.status_code < 400:
        return response
    try:
        body = response.json()
    except ValueError:
        return response
    if not isinstance(body, dict) or "error" in body or "status" not in body:
        return response
    rfc = {
        "error": _ERRORS.get(str(body["status"]), "invalid_request"),
        "error_description": f"{body['status']}: {body.get('message', '')}",
    }
    return httpx.Response(
        response.status_code,
        headers={"content-type": "application/json"},
        content=json.dumps(rfc).encode(),
        request=response.request,
    )
