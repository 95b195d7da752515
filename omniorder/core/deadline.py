"""One wall-clock deadline for a whole exchange with another server (a webhook POST, an SMTP
session), however the other side paces its bytes.

A socket timeout bounds each read, not the exchange: a receiver that sends one byte every
5 s never trips a 10 s read timeout and keeps a worker for as long as it likes. `Deadline`
gives each connection the time left as its timeout and, when the time is up, shuts the
connection down from a timer thread, which ends any read or write in progress with an error
at once. The timer holds a duplicate of each socket's descriptor: a TLS wrap detaches the
socket object it wraps, and a descriptor of our own cannot be closed and handed to another
connection of this process before the deadline is over. Name lookups wait at most the time
left too (in a thread, since ``getaddrinfo`` takes no timeout).
"""

import socket
import threading
import time


class Deadline:
    """``with Deadline(10) as deadline:`` … `connect` / `watch` every socket of the exchange;
    `expired` says the time ran out (an error then is the deadline's doing)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._guards: list[socket.socket] = []
        self._over = False
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exception) -> None:
        self._timer.cancel()
        with self._lock:
            self._over = True
            for guard in self._guards:
                guard.close()
            self._guards.clear()

    def remaining(self) -> float:
        """Seconds left; `TimeoutError` when there are none."""
        left = self._ends - time.monotonic()
        if left <= 0:
            self.expired = True
            raise TimeoutError(f"no answer within {self.seconds:g} s")
        return left

    def watch(self, sock: socket.socket) -> socket.socket:
        """Shut `sock` down when the time is up (at once if it is up already)."""
        guard = sock.dup()
        with self._lock:
            if not (self.expired or self._over):
                self._guards.append(guard)
                guard = None
        if guard is not None:
            _shut(guard)
            guard.close()
        sock.settimeout(max(self._ends - time.monotonic(), 0.001))
        return sock

    def resolve(self, host: str, port: int) -> list[tuple]:
        """``getaddrinfo(host, port)`` for a stream socket, within the time left."""
        found: dict = {}

        def look_up():
            try:
                found["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as error:
                found["error"] = error

        lookup = threading.Thread(target=look_up, daemon=True)
        lookup.start()
        lookup.join(self.remaining())
        if lookup.is_alive():
            self.expired = True
            raise TimeoutError(f"no address for {host} within {self.seconds:g} s")
        if "error" in found:
            raise found["error"]
        return found["infos"]

    def connect(self, host: str, port: int) -> socket.socket:
        """A watched connection to `host` (a name or an address), tried address by address."""
        failure: OSError | None = None
        for family, kind, protocol, _, address in self.resolve(host, port):
            sock = socket.socket(family, kind, protocol)
            try:
                self.watch(sock)
                sock.connect(address)
                return sock
            except OSError as error:
                sock.close()
                failure = error
        raise failure or OSError(f"no address for {host}")

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for guard in self._guards:
                _shut(guard)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected yet, or already closed by the other side
