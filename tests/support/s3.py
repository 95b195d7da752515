"""moto's S3 server as a real process on a free loopback port (no real S3 is reachable
here), with the AWS_* variables a client needs to reach it."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from harness.processes import free_port, wait_for_port

MOTO = os.path.join(os.path.dirname(sys.executable), "moto_server")
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def moto_server(monkeypatch) -> Iterator[str]:
    """Start moto_server, set the AWS_* variables; yields its endpoint (http://127.0.0.1:N)."""
    port = free_port()
    server = subprocess.Popen(
        [MOTO, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for_port(port), "moto_server did not start"
        for name, value in CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
