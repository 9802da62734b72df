"""Small shared pieces: branded buttons, field errors, empty states, status badges."""

from __future__ import annotations

import reflex as rx

from flowyard.web.state.session import SessionState


def brand_button(label: str | rx.Var, **props: object) -> rx.Component:
    """The primary action button, in the agency's colour with readable text."""
    style = {
        "background_color": SessionState.brand_color,
        "color": SessionState.brand_text,
        "cursor": "pointer",
    }
    return rx.button(label, style=style, size="3", **props)


def field_error(errors: rx.Var, key: str) -> rx.Component:
    """The message for one form field, read out by screen readers when it appears."""
    return rx.cond(
        errors.contains(key),
        rx.text(errors[key], color_scheme="red", size="2", role="alert", id=f"error-{key}"),
    )


def labelled(label: str, control: rx.Component, hint: str = "") -> rx.Component:
    return rx.el.label(
        rx.text(label, weight="medium", size="2"),
        control,
        rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray")),
        display="flex",
        flex_direction="column",
        gap="4px",
        width="100%",
    )


def empty_state(icon: str, title: str, body: str) -> rx.Component:
    """What a list is for, when it is still empty."""
    return rx.card(
        rx.vstack(
            rx.icon(icon, size=28, color=SessionState.brand_color),
            rx.heading(title, size="4"),
            rx.text(body, color_scheme="gray"),
            align="center",
            text_align="center",
            spacing="2",
            padding="16px",
        ),
        width="100%",
    )


def loading(label: str = "Loading…") -> rx.Component:
    return rx.hstack(rx.spinner(), rx.text(label, color_scheme="gray"), padding="24px")


def notice(message: rx.Var | str, tone: str = "red") -> rx.Component:
    """A sentence in a coloured box (errors in red, confirmations in green)."""
    return rx.callout(message, color_scheme=tone, role="alert", width="100%")
