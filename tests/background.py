"""Servers in the background for tests: aiohttp apps on loopback ports in one event-loop
thread (``BackgroundLoop``, ``serving``), and ``joinedup serve`` as a process
(``serve_process``). The one way the tests (and bench/) run a server they talk to over HTTP."""

from __future__ import annotations

import asyncio
import faulthandler
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
# How long a server started by a test may take to stop. Longer means something is stuck
# (a task that ignores cancellation, a thread holding the database): the stop fails loudly.
STOP_TIMEOUT_S = 30.0
# How long the tasks a server leaves behind (a listener's work after its acknowledgement)
# may run on after the server has stopped, before they are cancelled.
LEFTOVER_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Server:
    """An app being served on loopback: where to reach it."""

    url: str  # http://127.0.0.1:<port>, no trailing slash

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


class BackgroundLoop:
    """An asyncio loop in a daemon thread, serving aiohttp apps on 127.0.0.1 (free ports)
    and running coroutines for synchronous tests (``run``).

    ``close()`` (or leaving ``with``) stops the apps last-served first (the bot's server
    before the fakes it talks to, when the fakes were served first), lets the tasks they
    leave behind finish, cancels what is still running after ``LEFTOVER_TIMEOUT_S``, and
    closes the loop. It raises when stopping takes longer than ``STOP_TIMEOUT_S``."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._runners: list[web.AppRunner] = []
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def __enter__(self) -> BackgroundLoop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run ``coro`` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def serve(self, app: web.Application) -> Server:
        async def start() -> Server:
            # A short shutdown: a test's server should not wait a minute on in-flight work.
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            self._runners.append(runner)
            return Server(f"http://127.0.0.1:{runner.addresses[0][1]}")

        return self.run(start())

    def close(self) -> None:
        if self.loop.is_closed():
            return
        try:
            self.run(self._stop(), timeout=STOP_TIMEOUT_S)
        except TimeoutError:
            # Say what was stuck: every thread's stack (the loop's, the executor's).
            faulthandler.dump_traceback(all_threads=True)
            raise
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
            if not self._thread.is_alive():
                self.loop.close()

    async def _stop(self) -> None:
        while self._runners:
            await self._runners.pop().cleanup()
        this = asyncio.current_task()
        leftover = [t for t in asyncio.all_tasks() if t is not this]
        if leftover:
            _, pending = await asyncio.wait(leftover, timeout=LEFTOVER_TIMEOUT_S)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=LEFTOVER_TIMEOUT_S)


@contextmanager
def serving(app: web.Application) -> Iterator[Server]:
    """``with serving(app) as server: server.url``: one app on a loop of its own."""
    with BackgroundLoop() as loop:
        yield loop.serve(app)


# --- `joinedup serve` as a process -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(process: subprocess.Popen[bytes], port: int, log: Path, *, wait: float) -> None:
    """Return once ``/healthz`` on ``port`` answers; kill the process and raise (with the
    end of its log) when it exits or does not answer within ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.05)  # the process is still importing; nothing to wait on but it
    process.kill()
    process.wait(10)
    raise AssertionError(log.read_text()[-3000:])


def start_process(
    argv: list[str], env: dict[str, str], port: int, log: Path, *, wait: float = 30.0
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in this tree with only ``env`` (and PATH), output appended to ``log``,
    and wait until it answers ``/healthz`` on ``port``."""
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    wait_healthy(process, port, log, wait=wait)
    return process


def serve_process(
    env: dict[str, str],
    port: int,
    log: Path,
    *,
    host: str | None = "127.0.0.1",
    wait: float = 30.0,
) -> subprocess.Popen[bytes]:
    """``python -m bot serve`` as a user runs it, with only ``env`` (and PATH), once it
    answers ``/healthz``. ``host=None`` leaves the address to the server's own default."""
    argv = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
    if host is not None:
        argv += ["--host", host]
    return start_process(argv, env, port, log, wait=wait)
