"""Serving the sandbox: SandboxServer (uvicorn in a thread, for tests and --sandbox) and serve()."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import uvicorn

from .app import create_app
from .config import SandboxConfig
from .state import SandboxState


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM,
                         socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _uvicorn_config(app: Any, config: SandboxConfig) -> uvicorn.Config:
    return uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                          timeout_keep_alive=config.keep_alive_s)


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/api/v2"


class SandboxServer:
    """The sandbox on a real loopback port, in a background thread; use it as a context manager."""

    def __init__(self, config: SandboxConfig | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.config = config or SandboxConfig()
        self.app = create_app(self.config)
        self.state: SandboxState = self.app.state.sandbox
        self.host, self.port = host, port
        self.base_url = ""
        self.api_key = self.state.default_key
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        """Bind, start serving and wait until uvicorn is listening."""
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        self.base_url = _url(self.host, self.port)
        self._server = uvicorn.Server(_uvicorn_config(self.app, self.config))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="sandbox", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"sandbox failed to start on {self.host}:{self.port}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and save the state file (if any)."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self.state.save()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def ledger(self) -> dict[str, Any]:
        """Same content as GET /_sandbox/ledger."""
        with self.state.lock:
            return self.state.ledger.snapshot(self.state.balance())


def serve(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8787,
          on_ready: Callable[[str, str], None] | None = None) -> None:
    """Serve in the foreground until Ctrl-C; call on_ready(base_url, api_key) once listening."""
    app = create_app(config)
    state: SandboxState = app.state.sandbox
    sock = _bind(host, port)
    base_url = _url(host, sock.getsockname()[1])

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if on_ready is not None and self.started:
                on_ready(base_url, state.default_key)

    try:
        _Server(_uvicorn_config(app, config)).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        state.save()
