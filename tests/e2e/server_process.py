"""`joinedup serve` as a separate process (as a user runs it), and load against it: for the
tests that kill the server mid-load and for bench/commands.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(
    env: dict[str, str],
    port: int,
    log: Path,
    *,
    host: str | None = "127.0.0.1",
    wait: float = 30.0,
) -> subprocess.Popen[bytes]:
    """Start ``python -m bot serve`` with only ``env`` (and PATH) and wait for /healthz.
    ``host=None`` leaves the address to the server's own default."""
    argv = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
    if host is not None:
        argv += ["--host", host]
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    process.wait(10)
    raise AssertionError(log.read_text())
