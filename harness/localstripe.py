"""localstripe (a fake, stateful Stripe API server, PyPI) as a real process on a free loopback
port, for the payment tests (tests/support/localstripe.py) and the payments benchmark
(bench/payments.py).

localstripe as shipped binds every interface on a fixed port and pickles its whole store to
/tmp/localstripe.pickle after every change, so two runs on one machine would share (and
corrupt) one file. `SERVE` runs it instead with saving switched off, bound to 127.0.0.1 on a
port the kernel picks; the child prints that port as its first line. It is one Python process
(aiohttp, one event loop): one core at most, whoever calls it.
"""

import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass

SERVE = """
import logging, socket, sys
from aiohttp import web
from localstripe import resources, server

resources.Store.dump_to_disk = lambda self: None      # no /tmp/localstripe.pickle
resources.Store.try_load_from_disk = lambda self: None

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
access = logging.getLogger("aiohttp.access")   # also where webhook deliveries are logged
access.setLevel(logging.INFO)
access.addHandler(logging.StreamHandler(sys.stderr))
web.run_app(server.app, sock=sock, access_log=access, print=None)
"""


@dataclass(frozen=True)
class Running:
    base: str  # its API base, http://127.0.0.1:<port>
    pid: int


@contextmanager
def localstripe(log):
    """A localstripe process (empty store, saving off) on a free loopback port; yields it
    (`Running`) once it answers. `log`: an open file for its stderr (the access log, one line
    per API call, and webhook deliveries)."""
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE], stdout=subprocess.PIPE, stderr=log, text=True
    )
    try:
        port = process.stdout.readline().strip()
        if not port.isdigit():
            process.wait(timeout=10)
            raise RuntimeError(f"localstripe did not start: {_written(log)}")
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(base)
        yield Running(base, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _written(log) -> str:
    try:
        with open(log.name) as text:
            return text.read()
    except (AttributeError, OSError):
        return "(no log)"


def js_url(base: str) -> str:
    """localstripe's Stripe.js v3 stand-in, to load instead of https://js.stripe.com/v3/."""
    return f"{base}/js.stripe.com/v3/"


def wait_until_answering(base: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(js_url(base), timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"localstripe does not answer at {base}") from None
            time.sleep(0.05)
