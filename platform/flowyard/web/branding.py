"""Colour helpers for white-label branding: readable text on the agency's colour."""

from __future__ import annotations

import re

NEUTRAL_COLOR = "#334155"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def safe_color(value: str | None) -> str:
    """The agency colour if it is a plain hex code, else the neutral one (never raw CSS)."""
    return value.lower() if value and _HEX.match(value) else NEUTRAL_COLOR


def _luminance(hex_color: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def text_on(hex_color: str) -> str:
    """White or near-black, whichever contrasts more with the background colour (WCAG)."""
    lum = _luminance(safe_color(hex_color))
    white = 1.05 / (lum + 0.05)
    dark = (lum + 0.05) / (_luminance("#111827") + 0.05)
    return "#ffffff" if white >= dark else "#111827"
