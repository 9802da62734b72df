"""Runs a sandbox's ASGI app with uvicorn on 127.0.0.1, on a free port, in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp


class SandboxServer:
    """``start()``/``stop()``/``url``; also a context manager (``with SandboxServer(app) as s``).

    The socket is bound before uvicorn starts, so the port is known and no other process can
    take it between choosing and listening.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        log_level: str = "warning",
        port: int = 0,
    ):
        """``port`` 0 picks a free port (tests); a fixed one serves well-known demo addresses."""
        self.app = app
        self.host = host
        self.log_level = log_level
        self.fixed_port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("SandboxServer is not running.")
        return self._socket.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> SandboxServer:
        if self._server is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.fixed_port))
        except OSError:
            sock.close()
            raise RuntimeError(
                f"Port {self.fixed_port} is taken; set FLOWYARD_SANDBOX_BASE_PORT to a free range."
            ) from None
        config = uvicorn.Config(
            self.app, log_level=self.log_level, access_log=False, lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="sandbox-server", daemon=True
        )
        self._socket, self._server, self._thread = sock, server, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("Sandbox server did not start.")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
