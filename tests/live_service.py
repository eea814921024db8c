"""Helpers for tests that run a real `scribe serve` process: a free port, polling, health."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

import httpx


def free_port() -> int:
    """A TCP port on the loopback that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll until `condition()` is true or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def service_up(client: httpx.Client, server: subprocess.Popen[bytes]) -> bool:
    """True once the service answers its health check; fails if the process has exited."""
    if server.poll() is not None:
        raise AssertionError(f"scribe serve exited with code {server.returncode}")
    try:
        return client.get("/api/health").status_code == 200
    except httpx.TransportError:
        return False
