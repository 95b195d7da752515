"""``omniorder-print-agent``: the restaurant's side of ticket printing, run on a computer of
its own network (the platform cannot reach a printer on a LAN, printing/printers.py).

Every `POLL_SECONDS` it asks the restaurant's host for the tickets of its printers
(``GET /api/v1/print/jobs``), sends each to its printer with python-escpos's `Network`
printer and acknowledges it (``POST /api/v1/print/jobs/<id>/done``) once the printer took the
bytes. The ids it printed are kept in a small state file, written before the acknowledgement:
after a crash between printing and acknowledging, or an acknowledgement lost on the way, the
ticket offered again is acknowledged without printing it twice. Every HTTP exchange and every
printer connection has one wall-clock deadline (`omniorder.core.deadline`).

    omniorder-print-agent --url https://pizza.example.com --token opa_… \\
        --printer Pass=192.168.1.50:9100 --printer Bar=192.168.1.51
"""

import argparse
import base64
import http.client
import json
import logging
import os
import sys
import threading
from pathlib import Path
from urllib.parse import quote, urlsplit

from escpos.exceptions import Error as EscposError
from escpos.printer import Network

from omniorder.core.deadline import Deadline

log = logging.getLogger("omniorder.print_agent")

POLL_SECONDS = 2.0
HTTP_SECONDS = 15
PRINT_SECONDS = 15
REMEMBERED = 2000  # ids kept in the state file: far more than a lease's worth of tickets
USER_AGENT = "omniorder-print-agent/1"


class PrintedIds:
    """The ids this agent printed, on disk (written whole, then renamed: never half a file)."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self._ids = list(json.loads(path.read_text())["printed"])
        except FileNotFoundError:
            self._ids = []

    def __contains__(self, job_id: str) -> bool:
        return job_id in self._ids

    def add(self, job_id: str) -> None:
        self._ids = [*self._ids, job_id][-REMEMBERED:]
        temporary = self.path.with_suffix(".tmp")
        with open(temporary, "w") as file:
            json.dump({"printed": self._ids}, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)


class Server:
    """The restaurant's print API, each exchange within `HTTP_SECONDS`."""

    def __init__(self, url: str, token: str, printers: list[str]):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("--url must be the restaurant's https:// address")
        self.secure = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port or (443 if self.secure else 80)
        self.headers = {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
        self.query = "&".join(f"printer={quote(name)}" for name in printers)

    def jobs(self) -> list[dict]:
        status, body = self._exchange("GET", f"/api/v1/print/jobs?{self.query}")
        if status == 204:
            return []
        if status != 200:
            raise OSError(f"the server answered {status}: {body[:200]!r}")
        return json.loads(body)["jobs"]

    def done(self, job_id: str) -> None:
        status, body = self._exchange("POST", f"/api/v1/print/jobs/{quote(job_id)}/done")
        if status not in (200, 404):  # 404: discarded meanwhile, nothing left to acknowledge
            raise OSError(f"the server answered {status}: {body[:200]!r}")

    def _exchange(self, method: str, path: str) -> tuple[int, bytes]:
        kind = http.client.HTTPSConnection if self.secure else http.client.HTTPConnection
        with Deadline(HTTP_SECONDS) as deadline:
            connection = kind(self.host, self.port, timeout=deadline.remaining())
            try:
                connection.connect()
                deadline.watch(connection.sock)
                connection.request(method, path, headers=self.headers)
                response = connection.getresponse()
                return response.status, response.read(4 * 1024 * 1024)
            finally:
                connection.close()


def send_to_printer(host: str, port: int, data: bytes) -> None:
    """The ticket's bytes to a network printer, within `PRINT_SECONDS` (python-escpos)."""
    printer = Network(host, port, timeout=PRINT_SECONDS)
    with Deadline(PRINT_SECONDS) as deadline:
        printer.open()
        try:
            deadline.watch(printer.device)
            printer._raw(data)  # the bytes as rendered by the server, unchanged
        finally:
            printer.close()


def print_round(server: Server, printers: dict[str, tuple[str, int]], printed: PrintedIds) -> int:
    """Fetch, print and acknowledge what waits; the tickets printed now."""
    count = 0
    for job in server.jobs():
        address = printers.get(job["printer"].casefold())
        if address is None:
            continue
        if job["id"] not in printed:
            try:
                send_to_printer(*address, base64.b64decode(job["data"]))
            except (OSError, EscposError) as error:  # off: offered again after the lease
                log.warning("printer %s: %s", job["printer"], error)
                continue
            printed.add(job["id"])
            count += 1
        server.done(job["id"])
    return count


def run(
    url: str,
    token: str,
    printers: dict[str, tuple[str, int]],
    state: Path,
    stop: threading.Event,
    interval: float = POLL_SECONDS,
) -> None:
    """Poll, print and acknowledge until `stop` is set; a lost server or printer is only
    logged (and tried again next round)."""
    printers = {name.casefold(): address for name, address in printers.items()}
    server = Server(url, token, list(printers))
    printed = PrintedIds(state)
    while not stop.is_set():
        try:
            print_round(server, printers, printed)
        except (OSError, ValueError, KeyError) as error:
            log.warning("print server: %s", error)
        stop.wait(interval)


def parse_printer(text: str) -> tuple[str, tuple[str, int]]:
    """``Pass=192.168.1.50:9100`` → ("Pass", ("192.168.1.50", 9100)); the port defaults to 9100."""
    name, separator, address = text.partition("=")
    host, _, port = address.rpartition(":") if ":" in address else (address, "", "9100")
    if not separator or not name.strip() or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=HOST[:PORT]")
    return name.strip(), (host.strip("[]"), int(port))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="omniorder-print-agent", description="Print a restaurant's kitchen tickets."
    )
    parser.add_argument("--url", required=True, help="the restaurant's address (https://…)")
    parser.add_argument(
        "--token",
        default=os.environ.get("OMNIORDER_PRINT_TOKEN"),
        help="the agent's token (or OMNIORDER_PRINT_TOKEN)",
    )
    parser.add_argument(
        "--printer",
        action="append",
        type=parse_printer,
        required=True,
        help="NAME=HOST[:PORT], as named on the Printers page (repeat it)",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=Path.home() / ".omniorder-print-agent.json",
        help="where the printed ids are kept",
    )
    parser.add_argument("--interval", type=float, default=POLL_SECONDS)
    arguments = parser.parse_args(argv)
    if not arguments.token:
        parser.error("--token (or OMNIORDER_PRINT_TOKEN) is required")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    stop = threading.Event()
    try:
        run(
            arguments.url,
            arguments.token,
            dict(arguments.printer),
            arguments.state,
            stop,
            arguments.interval,
        )
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
