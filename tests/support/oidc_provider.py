"""A small local OpenID Connect provider for tests and demos (Starlette + uvicorn, 127.0.0.1).

Discovery, JWKS (a fresh RSA key), authorize (auto-consent for ``user``, or deny), token
(codes single-use, PKCE S256 checked, client secret checked) and userinfo. Knobs let a test
break exactly one thing in the ID token: ``claims_override``, ``sign_with_stranger_key``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from support.asgi_server import serving

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, jwt


def _rsa_jwk(kid: str) -> Any:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    return JsonWebKey.import_key(pem, {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class LocalOidcProvider:
    client_id: str = "flowyard-test"
    client_secret: str = "local-provider-secret"
    user: dict[str, Any] = field(
        default_factory=lambda: {"sub": "u-1", "email": "someone@example.com",
                                 "email_verified": True, "name": "Some One"}
    )  # fmt: skip
    deny: bool = False
    claims_override: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    sign_with_stranger_key: bool = False
    issuer: str = ""
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens_issued: int = 0

    def __post_init__(self) -> None:
        self._key = _rsa_jwk("k1")
        self._stranger = _rsa_jwk("k1")  # same kid, other key: a forged signature

    # --- endpoints ----------------------------------------------------------------------
    async def discovery(self, request: Request) -> Response:
        base = self.issuer
        return JSONResponse({
            "issuer": base, "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token", "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks", "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        })  # fmt: skip

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self._key.as_dict(is_private=False)]})

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != self.client_id or q.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return JSONResponse({"error": "invalid_request", "why": "PKCE S256"}, status_code=400)
        redirect_uri, state = q.get("redirect_uri", ""), q.get("state", "")
        if self.deny:
            query = {"error": "access_denied", "state": state}
            return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"redirect_uri": redirect_uri, "challenge": q["code_challenge"],
                            "nonce": q.get("nonce"), "user": dict(self.user)}  # fmt: skip
        query = {"code": code, "state": state}
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)

    def _client_ok(self, request: Request, form: Any) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            ident, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            ident, secret = form.get("client_id", ""), form.get("client_secret", "")
        return ident == self.client_id and secret == self.client_secret

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if not self._client_ok(request, form):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(str(form.get("code", "")), None)  # single use
        if grant is None or form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if challenge != grant["challenge"] or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant", "why": "PKCE"}, status_code=400)
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300,
                  "nonce": grant["nonce"], **grant["user"]}  # fmt: skip
        if self.claims_override:
            claims = self.claims_override(claims)
        key = self._stranger if self.sign_with_stranger_key else self._key
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key).decode()
        self.tokens_issued += 1
        access = secrets.token_urlsafe(24)
        self.codes[f"access:{access}"] = grant["user"]
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 300,
                             "id_token": id_token, "scope": "openid email profile"})  # fmt: skip

    async def userinfo(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        user = self.codes.get(f"access:{token}")
        if user is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse(user)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
            Route("/userinfo", self.userinfo),
        ])  # fmt: skip


@contextmanager
def running_provider(**options: Any) -> Iterator[LocalOidcProvider]:
    """``with running_provider(user={...}) as idp:`` — ``idp.issuer`` is its base URL."""
    provider = LocalOidcProvider(**options)
    with serving(provider.app()) as base_url:
        provider.issuer = base_url
        yield provider


def main() -> None:
    """Demo: ``cd tests && python -m support.oidc_provider 9400 you@youragency.com``; put
    ``http://127.0.0.1:9400`` as the issuer, client ``flowyard-test``, secret
    ``local-provider-secret`` on /security (FLOWYARD_ENV=development allows local http)."""
    import sys

    import uvicorn

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9400
    email = sys.argv[2] if len(sys.argv) > 2 else "someone@example.com"
    provider = LocalOidcProvider(issuer=f"http://127.0.0.1:{port}")
    provider.user = {"sub": email, "email": email, "email_verified": True, "name": email}
    uvicorn.run(provider.app(), host="127.0.0.1", port=port, log_level="info")


if __name__ == "__main__":
    main()
