"""A ``<form>`` that really submits to the server (Reflex's own form always cancels it).

Used for the routes that set or clear the HttpOnly session cookie (``/auth/...``).
"""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML


class NativeForm(BaseHTML):
    """Plain HTML form posting to ``action`` with a full page navigation."""

    tag = "form"

    action: rx.Var[str]
    method: rx.Var[str]
    no_validate: rx.Var[bool]


native_form = NativeForm.create


def hidden(name: str, value: str | rx.Var[str]) -> rx.Component:
    """A hidden form field (uncontrolled, so React leaves it alone)."""
    return rx.el.input(type="hidden", name=name, value=value, read_only=True)
