"""``flowyard sandboxes``: the provider simulators for the demo, on their well-known ports.

``flowyard up`` starts this process in sandbox mode and gives the web app and workers
:func:`demo_env` (sandbox mode on, the simulators' ports allow-listed for outbound HTTP).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

from flowyard.integrations import config, sandboxes
from flowyard.integrations.sandboxes import SandboxHost


def fixed_ports() -> dict[str, int]:
    urls = config.sandbox_urls()
    return {key: int(url.rsplit(":", 1)[1]) for key, url in urls.items()}


def demo_env(existing_allow: str = "") -> dict[str, str]:
    """Environment for processes that should use the simulators on their fixed ports."""
    ports = fixed_ports()
    keys = sandboxes.available()
    allow = [a for a in existing_allow.split(",") if a.strip()]
    allow += [f"127.0.0.1:{ports[k]}" for k in keys if k in ports]
    return {"FLOWYARD_SANDBOXES": "1", "FLOWYARD_HTTP_ALLOW": ",".join(allow)}


def serve_forever(say: Callable[[str], None] = print) -> None:
    """Serve every available simulator until SIGINT/SIGTERM."""
    ports = fixed_ports()
    keys = [k for k in sandboxes.available() if k in ports]
    host = SandboxHost().start(keys, redirect_uris=[config.redirect_uri()], ports=ports)
    for key, url in host.urls.items():
        say(f"{key} sandbox on {url}")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        host.stop()
