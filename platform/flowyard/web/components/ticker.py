"""A client-side interval: live pages poll while they are open, and stop when left.

The timer lives in the browser, so a closed tab or a page change stops it at once (a server
loop would need to guess); each tick is one small event whose handler reads the database.
"""

from __future__ import annotations

import reflex as rx
from reflex_base.event import no_args_event_spec


class Ticker(rx.NoSSRComponent):
    library = rx.asset("ticker.jsx", shared=True).importable_path
    tag = "Ticker"

    interval: rx.Var[int]
    on_tick: rx.EventHandler[no_args_event_spec]


def ticker(on_tick: rx.EventHandler | rx.event.EventSpec, interval_ms: int = 1000) -> rx.Component:
    """Fire ``on_tick`` every ``interval_ms`` while the page is open and visible."""
    return Ticker.create(interval=interval_ms, on_tick=on_tick)
