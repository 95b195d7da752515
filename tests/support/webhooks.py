"""A real HTTP receiver on loopback for webhooks, and the restaurant's webhook set up over HTTP."""

import http.server
import json
import ssl
import threading

from sqlalchemy import text

from tests.support.storefront import menu


class Receiver:
    """A real HTTP server on a free loopback port that records every request and answers
    with the statuses it is given, in turn (then 200)."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": self.headers, "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/x")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.handle_error = lambda *args: None  # a refused TLS handshake
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/orders?source=omniorder"

    def bodies(self) -> list[dict]:
        return [json.loads(request["body"]) for request in self.requests]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def set_webhook(admin, url):
    return admin.post("/admin/webhooks", {"url": url})


def place_order(client, tenant, name="Ada") -> dict:
    burger = menu(client.application, tenant)["House Burger"]
    response = client.post(
        "/api/v1/orders",
        json={"customer_name": name, "items": [{"menu_item_id": str(burger.id), "quantity": 2}]},
        headers={"Host": tenant.domain},
    )
    assert response.status_code == 201, response.text
    return response.get_json()


def deliveries(db_connection, tenant) -> list[dict]:
    db_connection.rollback()  # a fresh snapshot
    rows = db_connection.execute(
        text(
            f"SELECT event, order_id::text, status, attempts, response_status, last_error "
            f'FROM "{tenant.schema_name}".notifications '
            "WHERE channel = 'webhook' ORDER BY created_at"
        )
    ).mappings()
    return [dict(row) for row in rows]


def waiting_jobs(db_connection, tenant) -> list[float]:
    """Seconds until each of the restaurant's waiting webhook jobs is due."""
    db_connection.rollback()
    return list(
        db_connection.scalars(
            text(
                "SELECT extract(epoch FROM coalesce(scheduled_at, now()) - now())::float "
                "FROM procrastinate_jobs WHERE queue_name = 'webhooks' AND status = 'todo' "
                "AND args->>'tenant_id' = :tenant"
            ),
            {"tenant": str(tenant.id)},
        )
    )
