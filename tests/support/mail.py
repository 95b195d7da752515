"""A real SMTP server on loopback (aiosmtpd) and the orders whose mail it receives."""

import asyncio
import contextlib
import email
import email.policy
import threading
import time

from aiosmtpd.controller import Controller

from harness.processes import free_port
from tests.support.storefront import menu


class Inbox:
    """An aiosmtpd handler keeping every accepted message. It can answer the next DATA
    commands with a temporary refusal (`refuse_next`), refuse recipients (`refuse_rcpt`),
    or hold the next DATA until released (`hold_next`) and then not accept it."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse_next = 0
        self.refusals = 0
        self.refuse_rcpt: str | None = None
        self._hold: threading.Event | None = None
        self.holding = threading.Event()

    def hold_next(self) -> threading.Event:
        self._hold = threading.Event()
        return self._hold

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self._hold is not None:
            hold, self._hold = self._hold, None
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, hold.wait, 60)
            return "421 4.3.2 Service shutting down, message not accepted"
        if self.refuse_next:
            self.refuse_next -= 1
            self.refusals += 1
            return "451 4.3.0 Try again later"
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 2.0.0 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in str(m["To"])]


@contextlib.contextmanager
def running_inbox():
    """An `Inbox` behind a real SMTP server on a free loopback port (`inbox.port`); a held
    message is released when the test ends, so the server can stop."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    handler.url = f"smtp://127.0.0.1:{controller.port}?timeout=10"
    try:
        yield handler
    finally:
        if handler._hold is not None:
            handler._hold.set()
        controller.stop()


def plain(message) -> str:
    """A message's plain-text part, with Unix line ends."""
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def post_order(client, tenant, **body):
    return client.post("/api/v1/orders", json=body, headers={"Host": tenant.domain})


def fries_order(app, tenant, **extra) -> dict:
    return {
        "customer_name": "Ada",
        "items": [{"menu_item_id": str(menu(app, tenant)["Fries"].id), "quantity": 1}],
        **extra,
    }


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()
