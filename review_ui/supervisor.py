"""Runs the worker as a child process and restarts it if it dies."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

logger = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 30.0


class WorkerSupervisor:
    """Keeps one `scribe worker` subprocess alive until stopped."""

    def __init__(self, command: list[str] | None = None) -> None:
        self._command = command or [sys.executable, "-m", "review_ui.cli", "worker"]
        self._stop = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._run, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        """Start the worker and the thread that watches it."""
        self._thread.start()

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            self._process = subprocess.Popen(self._command)
            code = self._process.wait()
            if self._stop.is_set():
                return
            logger.warning("worker exited with code %s; restarting in %.0f s", code, backoff)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the worker to finish its current job and exit; kill it after `timeout`."""
        self._stop.set()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
        self._thread.join(timeout=5)
