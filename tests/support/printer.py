"""A TCP sink standing in for an ESC/POS network printer (port 9100 style): it keeps the bytes
of each connection as one received ticket. Can be stopped and started again on the same port
(a printer switched off and on)."""

import socket
import threading
import time

CUT = b"\x1dV"  # GS V: the cut every ticket ends with


class PrinterSink:
    def __init__(self, port: int = 0):
        self.tickets: list[bytes] = []
        self._lock = threading.Lock()
        self.port = port
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "PrinterSink":
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(8)
        server.settimeout(0.2)
        self.port = server.getsockname()[1]
        self._server = server
        self._thread = threading.Thread(target=self._serve, args=(server,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        if self._thread is not None:
            self._thread.join(5)

    def _serve(self, server: socket.socket) -> None:
        while self._server is server:
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(5)
                received = b""
                try:
                    while chunk := connection.recv(65536):
                        received += chunk
                except OSError:
                    pass
            if received:
                with self._lock:
                    self.tickets.append(received)

    def wait_for(self, count: int, seconds: float = 20) -> list[bytes]:
        """The tickets once `count` have arrived (AssertionError after `seconds`)."""
        ends = time.monotonic() + seconds
        while time.monotonic() < ends:
            with self._lock:
                if len(self.tickets) >= count:
                    return list(self.tickets)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.tickets)} of {count} tickets arrived")

    def __enter__(self) -> "PrinterSink":
        return self.start()

    def __exit__(self, *exception) -> None:
        self.stop()
