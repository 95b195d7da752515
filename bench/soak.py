"""Soak: 100,000 mixed requests over 50 tenants against a real gunicorn, then a check of
what the database holds.

    python -m bench soak                       # direct, through pgbouncer, and with a restart
    BENCH_SOAK_REQUESTS=10000 python -m bench soak   # a quick look

The clients are `BENCH_SOAK_CLIENTS` (4) processes, each one sequential connection (like
`wrk -c4`), all signed in as each tenant's staff. Every client draws from the same mix:

    38 % menu reads         GET /api/v1/menu
    10 % orders             POST /api/v1/orders with an Idempotency-Key
     5 % order status       GET /api/v1/orders/<own order>
    19 % kitchen polls      GET /kitchen/board?since=<last token>   (204 while unchanged)
    20 % kitchen advances   POST /kitchen/orders/<id>/advance        (htmx, CSRF token; a
                            poll when nothing is open): two taps an order, so the kitchen
                            keeps up and the board stays the size of a real one
     8 % bad input          malformed JSON, quantity 0, another tenant's item / order /
                            session, unknown Host, no CSRF token, 300 KiB body, bad ids;
                            Host headers with an empty or a 64-character label (on pages,
                            /healthz, /static and the API), lone UTF-16 surrogates in a JSON
                            order and in a form, theme values of the wrong type (issue 13,
                            items 1-3): each must be a 4xx

What is counted:
- cross-tenant rows: a menu item, board card or order of another tenant in a response; a
  probe with another tenant's item, order or session that succeeds; after the run, an order
  whose lines name an item its tenant does not have, or an acknowledged order found in the
  wrong schema. Must be 0.
- 5xx responses (must be 0 without a restart; with one, 503 while the server is down and
  never a 500), throughput (requests / wall time) and client-side p50/p99.
- orders lost: acknowledged (201/200) orders missing from their tenant afterwards. Must be 0.
  Clients retry an order with the same Idempotency-Key on 503 or a refused connection, as
  the API asks them to, so an order caught by the restart is stored once.

Push invalidation (omniorder/cache/changes.py) is as the environment sets it, on by default;
each run reports it, the change-feed listeners in pg_stat_activity at the end and the "change
feed lost" lines the workers logged. Through pgbouncer the feed listens straight on PostgreSQL
(OMNIORDER_LISTEN_URL): LISTEN needs a session of its own.

The restart run uses a throwaway embedded cluster (so it never stops a server anything else
uses): half-way through it is stopped (`pg_ctl stop -m fast`, killing every connection) and
started again after `BENCH_SOAK_DOWN_SECONDS` (2); the outage seen by clients runs from the
first failed response to the first success after the last one.

Client timings include the Python client's own cost (a new TCP connection per request: sync
gunicorn workers close them), so throughput here is lower than wrk's and only comparable
between the runs below.
"""

import http.client
import json
import multiprocessing
import os
import random
import re
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import psycopg

from bench.common import conninfo, scratch_database
from bench.provisioning import populate
from harness.processes import gunicorn, on_tcp, pgbouncer, restartable_postgres

REQUESTS = int(os.environ.get("BENCH_SOAK_REQUESTS", 100_000))
CLIENTS = int(os.environ.get("BENCH_SOAK_CLIENTS", 4))
TENANTS = int(os.environ.get("BENCH_SOAK_TENANTS", 50))
DOWN_SECONDS = float(os.environ.get("BENCH_SOAK_DOWN_SECONDS", 2))
PASSWORD = "bench password"  # the admins bench.provisioning.provision makes
SECRET = "bench-secret-key-" + "x" * 20
MIX = {"menu": 38, "order": 10, "order_status": 5, "poll": 19, "advance": 20, "bad": 8}
BAD_INPUTS = (
    "malformed_json",
    "zero_quantity",
    "foreign_item",
    "foreign_order",
    "unknown_host",
    "no_csrf",
    "foreign_advance",
    "foreign_session",
    "oversized",
    "bad_id",
    "bad_host",
    "surrogate_order",
    "surrogate_form",
    "theme_types",
)
BAD_HOSTS = ("{domain}..", ".{domain}", "a..{domain}", "x" * 64 + ".{domain}")
BAD_HOST_PATHS = ("/", "/healthz", "/static/app.css", "/api/v1/menu", "/kitchen/board?since=0-0")
# Wrong types through the admin form's JSON door (a list of text is a repeated form field).
BAD_THEMES = (
    {"preset": {"dark": 1}, "primary_color": "#aabbcc", "font_family": "serif"},
    {"preset": "dark", "primary_color": {"#aabbcc": 1}, "font_family": "serif"},
    {"preset": "dark", "primary_color": 123, "font_family": "serif"},
    {"preset": "dark", "primary_color": "#aabbcc", "font_family": ["serif", {}]},
)
ORDER_RETRY_SECONDS = 60
UUID = re.compile(r"/kitchen/orders/([0-9a-f-]{36})/advance")


def tenant_menus(url: str, tenants: int) -> list[dict]:
    """Each bench tenant's domain, schema and menu item ids, read straight from PostgreSQL."""
    menus = []
    with psycopg.connect(conninfo(url)) as connection:
        for index in range(tenants):
            schema = f"tenant_b{index}"
            ids = [
                str(row[0])
                for row in connection.execute(f'SELECT id FROM "{schema}".menu_items ORDER BY name')
            ]
            menus.append(
                {
                    "domain": f"b{index}.bench.localhost",
                    "schema": schema,
                    "admin": f"admin@b{index}.bench.localhost",
                    "items": ids,
                }
            )
    return menus


class Client:
    """One sequential HTTP client: a cookie and CSRF token per tenant, its own orders, and a
    tally of everything it saw."""

    def __init__(self, port: int, menus: list[dict], seed: int, retry_orders: bool):
        self.port, self.menus, self.retry_orders = port, menus, retry_orders
        self.random = random.Random(seed)
        self.sessions: list[dict] = []
        self.open_orders: list[list] = [[] for _ in menus]  # [order id, status]
        self.acknowledged: list[tuple[int, str, str]] = []  # (tenant, order id, key)
        self.board_ids: list[set] = [set() for _ in menus]
        self.tokens = ["0-0"] * len(menus)
        self.statuses: dict[str, Counter] = {}
        self.latencies: dict[str, list[float]] = {}
        self.cross_tenant: list[str] = []
        self.unexpected: Counter = Counter()
        self.failures: list[float] = []  # wall-clock times of 503s and refused connections
        self.successes: list[float] = []
        self.bad_turn = 0

    # -- HTTP ------------------------------------------------------------------------------
    def call(self, method, host, path, headers=None, body=None):
        """(status, headers, body); status 0 when the connection failed."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body, {"Host": host, **(headers or {})})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        except (OSError, http.client.HTTPException):
            return 0, {}, b""
        finally:
            connection.close()

    def timed(self, kind, method, host, path, headers=None, body=None):
        started = time.perf_counter()
        status, response_headers, data = self.call(method, host, path, headers, body)
        self.latencies.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        self.statuses.setdefault(kind, Counter())[status] += 1
        if status == 0 or status == 503:
            self.failures.append(time.time())
        elif status < 500:
            self.successes.append(time.time())
        return status, response_headers, data

    def staff_headers(self, tenant, htmx=True):
        session = self.sessions[tenant]
        headers = {"Cookie": f"session={session['cookie']}"}
        if htmx:
            headers["HX-Request"] = "true"
        return headers

    def keep_cookie(self, tenant, headers):
        match = re.search(r"session=([^;]+)", headers.get("Set-Cookie", ""))
        if match:
            self.sessions[tenant]["cookie"] = match.group(1)

    def sign_in(self):
        """Sign in as each tenant's admin through the login form, like a tablet would."""
        for tenant, menu in enumerate(self.menus):
            host = menu["domain"]
            _, headers, page = self.call("GET", host, "/login")
            token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            cookie = re.search(r"session=([^;]+)", headers["Set-Cookie"]).group(1)
            form = urlencode(
                {"email": menu["admin"], "password": PASSWORD, "csrf_token": token.decode()}
            )
            status, headers, _ = self.call(
                "POST",
                host,
                "/login",
                {
                    "Cookie": f"session={cookie}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                form,
            )
            assert status == 303, f"login on {host}: {status}"
            self.sessions.append(
                {"cookie": re.search(r"session=([^;]+)", headers["Set-Cookie"]).group(1)}
            )
            _, headers, page = self.call("GET", host, "/kitchen", self.staff_headers(tenant, False))
            self.keep_cookie(tenant, headers)
            self.sessions[tenant]["csrf"] = (
                re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
            )

    # -- the mix ---------------------------------------------------------------------------
    def menu(self, tenant):
        status, _, data = self.timed("menu", "GET", self.menus[tenant]["domain"], "/api/v1/menu")
        if status == 200:
            own = set(self.menus[tenant]["items"])
            foreign = [item["id"] for item in json.loads(data)["items"] if item["id"] not in own]
            if foreign:
                self.cross_tenant.append(f"menu of tenant {tenant} lists {foreign}")

    def order(self, tenant):
        key = str(uuid.uuid4())
        item = self.random.choice(self.menus[tenant]["items"])
        body = json.dumps(
            {
                "customer_name": f"Soak {key[:8]}",
                "items": [{"menu_item_id": item, "quantity": self.random.randint(1, 3)}],
            }
        )
        deadline = time.monotonic() + ORDER_RETRY_SECONDS
        while True:
            status, _, data = self.timed(
                "order",
                "POST",
                self.menus[tenant]["domain"],
                "/api/v1/orders",
                {"Content-Type": "application/json", "Idempotency-Key": key},
                body,
            )
            if status in (200, 201):
                order = json.loads(data)
                if any(
                    line["menu_item_id"] not in self.menus[tenant]["items"]
                    for line in order["items"]
                ):
                    self.cross_tenant.append(f"order {order['id']} names a foreign item")
                self.acknowledged.append((tenant, order["id"], key))
                self.open_orders[tenant].append([order["id"], "PENDING"])
                return
            if not (self.retry_orders and status in (0, 503)) or time.monotonic() > deadline:
                return
            time.sleep(0.05)

    def order_status(self, tenant):
        own = [order_id for t, order_id, _ in self.acknowledged if t == tenant]
        if not own:
            return self.menu(tenant)
        self.timed(
            "order_status",
            "GET",
            self.menus[tenant]["domain"],
            f"/api/v1/orders/{self.random.choice(own)}",
        )

    def read_board(self, tenant, status, data):
        if status == 200:
            self.board_ids[tenant].update(UUID.findall(data.decode()))
            token = re.search(r"since=([\d-]+)", data.decode())
            if token:
                self.tokens[tenant] = token.group(1)

    def poll(self, tenant):
        status, _, data = self.timed(
            "poll",
            "GET",
            self.menus[tenant]["domain"],
            f"/kitchen/board?since={self.tokens[tenant]}",
            self.staff_headers(tenant),
        )
        self.read_board(tenant, status, data)

    def advance(self, tenant):
        if not self.open_orders[tenant]:
            return self.poll(tenant)
        entry = self.open_orders[tenant][0]
        order_id, current = entry
        status, _, data = self.timed(
            "advance",
            "POST",
            self.menus[tenant]["domain"],
            f"/kitchen/orders/{order_id}/advance",
            {
                **self.staff_headers(tenant),
                "X-CSRFToken": self.sessions[tenant]["csrf"],
                "Content-Type": "application/x-www-form-urlencoded",
            },
            f"from={current}",
        )
        self.read_board(tenant, status, data)
        if status == 200 and current == "PENDING":
            entry[1] = "COOKING"
        elif status in (200, 409):  # done, or already moved by a retried request
            self.open_orders[tenant].pop(0)

    def foreign_tenant(self, tenant):
        return (tenant + self.random.randint(1, len(self.menus) - 1)) % len(self.menus)

    def bad(self, tenant):
        """One hostile request; a 2xx on a probe across tenants is a cross-tenant leak."""
        kind = BAD_INPUTS[self.bad_turn % len(BAD_INPUTS)]
        self.bad_turn += 1
        host = self.menus[tenant]["domain"]
        other = self.foreign_tenant(tenant)
        json_headers = {"Content-Type": "application/json"}
        foreign_orders = [order_id for t, order_id, _ in self.acknowledged if t != tenant]
        if kind in ("foreign_order", "foreign_advance") and not foreign_orders:
            kind = "unknown_host"
        request = getattr(self, f"_hostile_{kind}")(
            tenant, host, other, foreign_orders, json_headers
        )
        status, _, _ = self.timed(f"bad:{kind}", *request)
        if kind.startswith("foreign") and 200 <= status < 300:
            self.cross_tenant.append(f"{kind} on tenant {tenant} answered {status}")
        elif status != 0 and status != 503 and not 400 <= status < 500:
            self.unexpected[f"bad:{kind}:{status}"] += 1

    def _order_request(self, host, customer_name, item_id, quantity):
        """A JSON order of one line, as a hostile probe sends it."""
        body = {
            "customer_name": customer_name,
            "items": [{"menu_item_id": item_id, "quantity": quantity}],
        }
        return (
            "POST",
            host,
            "/api/v1/orders",
            {"Content-Type": "application/json"},
            json.dumps(body),
        )

    def _hostile_malformed_json(self, tenant, host, other, foreign_orders, json_headers):
        return ("POST", host, "/api/v1/orders", json_headers, '{"customer_name": ')

    def _hostile_zero_quantity(self, tenant, host, other, foreign_orders, json_headers):
        return self._order_request(host, "Zero", self.menus[tenant]["items"][0], 0)

    def _hostile_foreign_item(self, tenant, host, other, foreign_orders, json_headers):
        return self._order_request(host, "Thief", self.menus[other]["items"][0], 1)

    def _hostile_foreign_order(self, tenant, host, other, foreign_orders, json_headers):
        return ("GET", host, f"/api/v1/orders/{self.random.choice(foreign_orders)}")

    def _hostile_unknown_host(self, tenant, host, other, foreign_orders, json_headers):
        return ("GET", "nowhere.bench.localhost", "/api/v1/menu")

    def _hostile_no_csrf(self, tenant, host, other, foreign_orders, json_headers):
        order_id = self.random.choice(foreign_orders) if foreign_orders else uuid.uuid4()
        return (
            "POST",
            host,
            f"/kitchen/orders/{order_id}/advance",
            {**self.staff_headers(tenant), "Content-Type": "application/x-www-form-urlencoded"},
            "from=PENDING",
        )

    def _hostile_foreign_advance(self, tenant, host, other, foreign_orders, json_headers):
        return (
            "POST",
            host,
            f"/kitchen/orders/{self.random.choice(foreign_orders)}/advance",
            {
                **self.staff_headers(tenant),
                "X-CSRFToken": self.sessions[tenant]["csrf"],
                "Content-Type": "application/x-www-form-urlencoded",
            },
            "from=PENDING",
        )

    def _hostile_foreign_session(self, tenant, host, other, foreign_orders, json_headers):
        return ("GET", host, "/kitchen/board?since=0-0", self.staff_headers(other))

    def _hostile_oversized(self, tenant, host, other, foreign_orders, json_headers):
        return (
            "POST",
            host,
            "/api/v1/orders",
            json_headers,
            json.dumps({"customer_name": "x" * 300_000, "items": []}),
        )

    def _hostile_bad_host(self, tenant, host, other, foreign_orders, json_headers):
        return (
            "GET",
            self.random.choice(BAD_HOSTS).format(domain=host),
            self.random.choice(BAD_HOST_PATHS),
            self.staff_headers(tenant, False),
        )

    def _hostile_surrogate_order(self, tenant, host, other, foreign_orders, json_headers):
        # json.dumps writes the lone surrogate as "\ud800"
        return self._order_request(host, "Soak \ud800", self.menus[tenant]["items"][0], 1)

    def _hostile_surrogate_form(self, tenant, host, other, foreign_orders, json_headers):
        # Flask-WTF reads a JSON body as the login form
        return (
            "POST",
            host,
            "/login",
            {
                **self.staff_headers(tenant, False),
                **json_headers,
                "X-CSRFToken": self.sessions[tenant]["csrf"],
            },
            json.dumps({"email": f"soak\udfff@{host}", "password": "soak"}),
        )

    def _hostile_theme_types(self, tenant, host, other, foreign_orders, json_headers):
        return (
            "POST",
            host,
            "/admin/theme",
            {
                **self.staff_headers(tenant),
                **json_headers,
                "X-CSRFToken": self.sessions[tenant]["csrf"],
            },
            json.dumps(self.random.choice(BAD_THEMES)),
        )

    def _hostile_bad_id(self, tenant, host, other, foreign_orders, json_headers):
        return ("GET", host, "/api/v1/orders/not-an-order")

    def run(self, requests: int, progress) -> dict:
        kinds = [kind for kind, weight in MIX.items() for _ in range(weight)]
        handlers = {
            "menu": self.menu,
            "order": self.order,
            "order_status": self.order_status,
            "poll": self.poll,
            "advance": self.advance,
            "bad": self.bad,
        }
        started = time.time()
        for done in range(requests):
            failures_before = len(self.failures)
            handlers[self.random.choice(kinds)](self.random.randrange(len(self.menus)))
            if len(self.failures) > failures_before:
                time.sleep(0.05)  # the server is down: do not spin
            if done % 100 == 99:
                with progress.get_lock():
                    progress.value += 100
        return {
            "started": started,
            "finished": time.time(),
            "statuses": {kind: dict(counter) for kind, counter in self.statuses.items()},
            "latencies": self.latencies,
            "cross_tenant": self.cross_tenant,
            "unexpected": dict(self.unexpected),
            "acknowledged": self.acknowledged,
            "board_ids": [sorted(ids) for ids in self.board_ids],
            "failures": self.failures,
            "successes": self.successes,
        }


def client_process(arguments):
    port, menus, seed, requests, retry_orders = arguments
    client = Client(port, menus, seed, retry_orders)
    client.sign_in()
    return client.run(requests, PROGRESS)


PROGRESS = None


def _share_progress(counter):
    global PROGRESS
    PROGRESS = counter


def verify(url: str, menus: list[dict], results: list[dict]) -> dict:
    """What the database holds after the run: lost, duplicated and foreign orders."""
    acknowledged = [entry for result in results for entry in result["acknowledged"]]
    found: dict[str, dict] = {}
    foreign_lines = 0
    with psycopg.connect(conninfo(url)) as connection:
        for menu in menus:
            schema = menu["schema"]
            found[schema] = {
                str(row[0]): (row[1], row[2])
                for row in connection.execute(
                    f'SELECT id, idempotency_key, number FROM "{schema}".orders'
                )
            }
            foreign_lines += connection.execute(
                f'SELECT count(*) FROM "{schema}".orders o, jsonb_array_elements(o.items) line '
                f'WHERE NOT EXISTS (SELECT 1 FROM "{schema}".menu_items m '
                "WHERE m.id::text = line->>'menu_item_id')"
            ).fetchone()[0]
    lost = [
        entry
        for entry in acknowledged
        if found[menus[entry[0]]["schema"]].get(entry[1], (None,))[0] != entry[2]
    ]
    keys = {(menus[tenant]["schema"], key) for tenant, _, key in acknowledged}
    never_acknowledged = sum(
        1 for schema, rows in found.items() for key, _ in rows.values() if (schema, key) not in keys
    )
    duplicate_numbers = sum(
        len(rows) - len({number for _, number in rows.values()}) for rows in found.values()
    )
    foreign_cards = sum(
        1
        for result in results
        for tenant, ids in enumerate(result["board_ids"])
        for order_id in ids
        if order_id not in found[menus[tenant]["schema"]]
    )
    return {
        "orders_acknowledged": len(acknowledged),
        "orders_stored": sum(len(rows) for rows in found.values()),
        "orders_lost": len(lost),
        "orders_stored_never_acknowledged": never_acknowledged,
        "duplicate_order_numbers": duplicate_numbers,
        "foreign_order_lines_in_db": foreign_lines,
        "foreign_board_cards": foreign_cards,
    }


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))], 2)


def outage(results: list[dict]) -> dict:
    failures = sorted(t for result in results for t in result["failures"])
    if not failures:
        return {"failed_responses": 0, "client_outage_s": 0.0}
    successes = sorted(t for result in results for t in result["successes"])
    recovered = next((t for t in successes if t > failures[-1]), failures[-1])
    return {"failed_responses": len(failures), "client_outage_s": round(recovered - failures[0], 2)}


def change_feed_listeners(url: str) -> int:
    """Backends LISTENing for the change feed on this database (one per gunicorn worker while
    push invalidation is on and its feed is healthy)."""
    with psycopg.connect(conninfo(url)) as connection:
        return connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'omniorder-changes' "
            "AND datname = current_database()"
        ).fetchone()[0]


def soak(
    url: str, app_url: str, tenants: int, requests: int, restart=None, environment=None
) -> dict:
    """Provision `tenants` in the empty database at `url`, serve `app_url` (the same
    database, maybe through pgbouncer) with gunicorn, run the clients, optionally restart
    PostgreSQL half-way through (`restart` = (stop, start)), then read the database back."""
    populate(url, tenants)
    menus = tenant_menus(url, tenants)
    # Every client runs on this machine (one address): without this the order rate limit
    # would answer most of the soak's orders with 429.
    environment = {
        "DATABASE_URL": app_url,
        "SECRET_KEY": SECRET,
        "OMNIORDER_ORDER_RATE_LIMIT": "off",
        **(environment or {}),
    }
    push = environment.get(
        "OMNIORDER_PUSH_INVALIDATION", os.environ.get("OMNIORDER_PUSH_INVALIDATION", "1")
    ) in ("1", "true", "yes")
    progress = multiprocessing.Value("l", 0)
    per_client = requests // CLIENTS
    restart_window = {}
    server_log = tempfile.TemporaryFile("w+")
    with (
        gunicorn("wsgi:app", environment, log=server_log) as port,
        multiprocessing.Pool(CLIENTS, initializer=_share_progress, initargs=(progress,)) as pool,
    ):
        pending = pool.map_async(
            client_process,
            [(port, menus, seed, per_client, restart is not None) for seed in range(CLIENTS)],
        )
        while not pending.ready():
            if restart and not restart_window and progress.value >= requests // 2:
                stop, start = restart
                restart_window["stopped"] = time.time()
                stop()
                time.sleep(DOWN_SECONDS)
                start()
                restart_window["started"] = time.time()
            pending.wait(0.1)
        results = pending.get()
        listeners = change_feed_listeners(url)  # while gunicorn still runs
    server_log.seek(0)
    log_lines = server_log.readlines()
    logged = Counter(
        line.split(" in ")[0].split("] ")[-1]
        for line in log_lines
        if line.startswith("[") and "] " in line
    )
    server_log.close()
    seconds = max(r["finished"] for r in results) - min(r["started"] for r in results)
    statuses: dict[str, Counter] = {}
    for result in results:
        for kind, counts in result["statuses"].items():
            statuses.setdefault(kind, Counter()).update(
                {int(status): n for status, n in counts.items()}
            )
    everything = Counter()
    for counts in statuses.values():
        everything.update(counts)
    latencies = [
        ms for result in results for samples in result["latencies"].values() for ms in samples
    ]
    by_kind = {}
    for kind in sorted(statuses):
        samples = [ms for result in results for ms in result["latencies"].get(kind, [])]
        by_kind[kind] = {
            "requests": len(samples),
            "p50_ms": percentile(samples, 0.5),
            "p99_ms": percentile(samples, 0.99),
            "statuses": dict(sorted(statuses[kind].items())),
        }
    database = verify(url, menus, results)
    cross_tenant = [line for result in results for line in result["cross_tenant"]]
    report = {
        "requests": sum(everything.values()),
        "tenants": len(menus),
        "clients": CLIENTS,
        "push_invalidation": push,
        "change_feed_listeners_at_end": listeners,
        "change_feed_lost_lines": sum("change feed lost" in line for line in log_lines),
        "seconds": round(seconds, 1),
        "req_per_s": round(sum(everything.values()) / seconds),
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "statuses": dict(sorted(everything.items())),
        "responses_5xx": sum(n for status, n in everything.items() if status >= 500),
        "responses_500": everything.get(500, 0),
        "connection_errors": everything.get(0, 0),
        "server_log_lines": dict(logged),  # by level: ERROR means a traceback
        "cross_tenant_rows": len(cross_tenant)
        + database["foreign_order_lines_in_db"]
        + database["foreign_board_cards"],
        "cross_tenant_examples": cross_tenant[:5],
        "unexpected_bad_input_answers": dict(
            sum((Counter(result["unexpected"]) for result in results), Counter())
        ),
        **database,
        "by_kind": by_kind,
    }
    if restart:
        report["server_down_s"] = round(restart_window["started"] - restart_window["stopped"], 2)
        report.update(outage(results))
    return report


def run(requests: int = REQUESTS, tenants: int = TENANTS) -> dict:
    """The three runs, each on a database of its own."""
    results = {}
    with scratch_database("soak") as url:
        print(f"  soak direct ({requests:,} requests) …", flush=True)
        results["direct"] = soak(url, url, tenants, requests)
    with scratch_database("soak") as url:
        if on_tcp(url):
            print("  soak through pgbouncer …", flush=True)
            with pgbouncer(url, pool_size=4) as bounced:
                # LISTEN needs a session of its own: the change feed goes straight to PostgreSQL.
                results["pgbouncer"] = soak(
                    url,
                    bounced,
                    tenants,
                    requests,
                    environment={"OMNIORDER_PGBOUNCER": "1", "OMNIORDER_LISTEN_URL": url},
                )
        else:
            results["pgbouncer"] = {"skipped": "needs PostgreSQL on TCP"}
    with tempfile.TemporaryDirectory() as folder:
        Path(folder).chmod(0o755)
        with restartable_postgres(Path(folder) / "pg", "soak") as (url, stop, start):
            print(
                f"  soak with a PostgreSQL restart half-way ({requests:,} requests) …", flush=True
            )
            results["restart"] = soak(url, url, tenants, requests, restart=(stop, start))
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
