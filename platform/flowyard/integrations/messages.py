"""What a person reads when connecting goes wrong: one sentence per failure code.

Codes travel in the URL back to the Integrations page (no text is echoed from URLs); the page
fills in the app's name.
"""

from __future__ import annotations

CONNECT_ERRORS = {
    "bad_state": "This connection attempt expired or didn't start in this browser, so nothing "
    "was connected. Press Connect again.",
    "other_session": "This connection attempt was started by another sign-in, so nothing was "
    "connected. Press Connect again from this browser.",
    "denied": "You chose not to give access to {app}, so nothing was connected. Press Connect "
    "again if that was a mistake.",
    "provider_error": "{app} couldn't complete the sign-in, so nothing was connected. Press "
    "Connect to try again.",
    "code_rejected": "{app} didn't accept the sign-in (it may have taken too long to come back). "
    "Nothing was connected; press Connect to try again.",
    "exchange_failed": "{app} refused to finish the connection. Nothing was connected; if it "
    "keeps happening, contact support.",
    "unreachable": "We couldn't reach {app} to finish connecting. Nothing was connected; try "
    "again in a few minutes.",
    "account_lookup": "We signed in to {app} but couldn't see which account to use. Press "
    "Connect again and choose an account.",
    "bad_signature": "The answer from {app} didn't carry a valid signature, so we ignored it. "
    "Press Connect to try again.",
    "bad_start": "That {app} account address doesn't look right. Check it and try again.",
    "not_configured": "Connecting {app} isn't set up on this server yet. Ask your administrator.",
    "unknown_app": "That app isn't available here.",
    "not_oauth": "{app} is connected with a key rather than a sign-in.",
    "forbidden": "Your role doesn't allow connecting apps for this client. Ask an administrator.",
    "signed_out": "Please sign in again, then press Connect.",
}


def connect_error(code: str, app: str = "") -> str:
    template = CONNECT_ERRORS.get(code, CONNECT_ERRORS["provider_error"])
    return template.format(app=app or "the app")


def connected(app: str) -> str:
    return f"{app} is connected. Workflows can use it now."
