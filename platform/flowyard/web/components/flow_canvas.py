"""The builder's canvas: React Flow (``@xyflow/react`` 12) wrapped as a Reflex component.

The React side (``flow_canvas.jsx``, next to this file) keeps node positions in the browser
while dragging and sends only outcomes to the server: a step moved (on drag stop), two steps
connected (with the branch handle used), steps or connections deleted, a step selected, and
a library item dropped onto the canvas. ``nodes``/``edges`` come from the builder state.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.event import passthrough_event_spec

XYFLOW = "@xyflow/react@12.12.1"


class FlowCanvas(rx.NoSSRComponent):
    library = rx.asset("flow_canvas.jsx", shared=True).importable_path
    lib_dependencies: list[str] = [XYFLOW]
    tag = "FlowCanvas"

    nodes: rx.Var[list[dict[str, Any]]]
    edges: rx.Var[list[dict[str, Any]]]
    height: rx.Var[str]

    on_connect_step: rx.EventHandler[passthrough_event_spec(dict)]
    on_move_steps: rx.EventHandler[passthrough_event_spec(list)]
    on_delete_steps: rx.EventHandler[passthrough_event_spec(list)]
    on_delete_edges: rx.EventHandler[passthrough_event_spec(list)]
    on_select_step: rx.EventHandler[passthrough_event_spec(str)]
    on_drop_step: rx.EventHandler[passthrough_event_spec(dict)]


flow_canvas = FlowCanvas.create
