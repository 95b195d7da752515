"""The write path: placing orders, ours side by side with peers in one run
(`python -m bench orders`; bench/README.md, "The write path").

Every load is `wrk -t1` POSTing an order of two items of the Host's restaurant (quantities 1
and 2), the Host rotated by a Lua script, in interleaved rounds (bench/http.py's
`interleaved`: each load once a round, the order rotated from round to round):

  api            ours, POST /api/v1/orders (gunicorn wsgi:app, 2 sync workers, push
                 invalidation on; the order rate limit checked but set too high to trip)
  django_tenants the django-tenants peer (bench/peers/django_tenants), same JSON, its own
                 database with the same tenants and menus
  bare           the bare order limit (bench/bare_wsgi.py:orders) on our schemas: one SELECT
                 and one INSERT … RETURNING, one transaction
  storefront     ours, the storefront's HTML checkout (POST /checkout as htmx sends it): a
                 session cookie with the cart and the CSRF token minted once per tenant; each
                 POST carries a fresh idempotency key, so each places a new order
  api_c8_1       ours, `wrk -c8`, every order to ONE restaurant
  api_c8_8       ours, `wrk -c8`, spread over 8 restaurants

The first four run with `-c4` over all the tenants. Every load must answer 2xx only, and
afterwards the orders stored are counted against the responses wrk received.
"""

import importlib.util
import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from http.client import HTTPConnection

from sqlalchemy import create_engine

from bench.common import REPOSITORY, bench_app, scratch_database
from bench.http import SECRET, fetch, interleaved, lua_list, ratio
from harness.processes import gunicorn

API = "/api/v1/orders"
CONCURRENCY = 8  # wrk connections of the one-restaurant vs spread loads
NEVER_TRIPS = "100000000 per minute"
ORDERS_LUA = """
local hosts = {%s}
local bodies = {%s}
local i = 0
request = function()
  i = i + 1
  local n = (i %% #hosts) + 1
  return wrk.format("POST", "/api/v1/orders",
                    {Host = hosts[n], ["Content-Type"] = "application/json"}, bodies[n])
end
"""
# A fresh idempotency key per request: this wrk run's start second and a random number, then
# a counter (a key used again would answer the first order instead of placing one).
CHECKOUT_LUA = """
local hosts = {%s}
local cookies = {%s}
local tokens = {%s}
math.randomseed(os.time())
local run = string.format("%%d-%%06d", os.time(), math.random(0, 999999))
local i = 0
request = function()
  i = i + 1
  local n = (i %% #hosts) + 1
  local body = "csrf_token=" .. tokens[n] .. "&customer_name=Bench+storefront&note=&email="
               .. "&phone=&pickup_at=&idempotency_key=" .. run .. "-" .. i
  return wrk.format("POST", "/checkout",
                    {Host = hosts[n], Cookie = "session=" .. cookies[n], ["HX-Request"] = "true",
                     ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""
# Each load's orders carry their own customer name, so the stored orders can be counted per load.
NAMES = {
    "api": "Bench api",
    "storefront": "Bench storefront",
    "bare": "Bench bare",
    "api_c8_1": "Bench api c8 one",
    "api_c8_8": "Bench api c8 spread",
    "django_tenants": "Bench api",  # in the peer's own database
}
CHECK = "Bench check"  # the orders check_answers places before the loads


def ensure_django() -> None:
    if importlib.util.find_spec("django_tenants") is None:
        raise SystemExit(
            "the django-tenants peer needs the bench extra: pip install -e '.[bench]' "
            "(scripts/bench installs it)"
        )


def post(port: int, host: str, path: str, body: str, headers: dict):
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", path, body=body, headers={"Host": host, **headers})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def provision_peer(url: str, tenants: int) -> dict:
    """The peer's tenants in its own database (a subprocess: Django's settings are global)."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bench.peers.django_tenants.provision", str(tenants)],
        cwd=REPOSITORY,
        env={**os.environ, "DJANGO_BENCH_DATABASE_URL": url},
        check=True,
        capture_output=True,
        text=True,
    )
    return {**json.loads(result.stdout), "seconds": round(time.perf_counter() - started, 1)}


def our_items(port: int, domains: list[str]) -> dict:
    """Host → {item name: id}, from each tenant's GET /api/v1/menu (once, before the loads)."""
    found = {}
    for domain in domains:
        status, _, body = fetch(port, domain, "/api/v1/menu")
        assert status == 200, (domain, status)
        found[domain] = {item["name"]: item["id"] for item in json.loads(body)["items"]}
    return found


def order_body(items: dict, names: tuple[str, str], customer: str) -> str:
    return json.dumps(
        {
            "customer_name": customer,
            "items": [
                {"menu_item_id": items[name], "quantity": quantity}
                for name, quantity in zip(names, (1, 2), strict=True)
            ],
        }
    )


def storefront_sessions(url: str, domains: list[str], items: dict, names: tuple[str, str]):
    """Per tenant: a signed session cookie holding a CSRF token and a cart of the two items
    (quantities 1 and 2, as the API bodies), and the form's CSRF token, minted with the app's
    own serializer and Flask-WTF's `generate_csrf`. wrk never stores the cookie the checkout
    answers with (its cart emptied), so every POST checks out the same cart."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    from omniorder.core.database import db
    from omniorder.tenancy.registry import tenant_registry

    app = bench_app(url, SECRET_KEY=SECRET, OMNIORDER_PUSH_INVALIDATION=False)
    cookies, tokens = [], []
    with app.app_context():
        serializer = app.session_interface.get_signing_serializer(app)
        for domain in domains:
            tenant = tenant_registry().lookup(domain)
            # A new app context each time: generate_csrf keeps its token in `g`.
            with app.app_context(), app.test_request_context("/", base_url=f"http://{domain}"):
                tokens.append(generate_csrf())
                data = dict(session)
            lines = [
                [items[domain][name], [], "", q] for name, q in zip(names, (1, 2), strict=True)
            ]
            data["carts"] = {str(tenant.id): {"lines": lines, "tip": None}}
            cookies.append(serializer.dumps(data))
        db.engine.dispose()
    return cookies, tokens


def check_answers(ports: dict, domains: list[str], bodies: dict, session: tuple) -> dict:
    """One order through each server before the loads: 201 with a number, and the
    storefront's 200 with HX-Redirect to a new order each time (two checkouts, two orders)."""
    checks = {}
    headers = {"Content-Type": "application/json"}
    for name in ("api", "django_tenants", "bare"):
        status, _, body = post(ports[name], domains[0], "/api/v1/orders", bodies[name], headers)
        assert status == 201, (name, status, body[:300])
        checks[name] = {"status": status, "number": json.loads(body)["number"]}
    cookies, tokens = session
    targets = []
    for key in ("bench-check-1", "bench-check-2"):
        status, answer, body = post(
            ports["api"],
            domains[0],
            "/checkout",
            f"csrf_token={tokens[0]}&customer_name={CHECK}&idempotency_key={key}",
            {
                "Cookie": f"session={cookies[0]}",
                "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert status == 200 and "HX-Redirect" in answer, ("storefront", status, body[:300])
        targets.append(answer["HX-Redirect"])
    assert targets[0] != targets[1], targets
    checks["storefront"] = {"status": 200, "redirects": targets}
    return checks


def stored_orders(url: str, schemas: list[str], table: str) -> dict:
    """Orders stored per customer name, over the given schemas."""
    engine = create_engine(url)
    counts: dict = {}
    with engine.connect() as connection:
        for schema in schemas:
            rows = connection.exec_driver_sql(
                f'SELECT customer_name, count(*) FROM "{schema}".{table} GROUP BY 1'
            )
            for name, count in rows:
                counts[name] = counts.get(name, 0) + count
    engine.dispose()
    return counts


def accounting(results: dict, ours: dict, peer: dict) -> dict:
    """Orders stored vs responses wrk counted (warm-ups included): stored may exceed them by
    the requests in flight when wrk stopped (at most its connections per run), never fall
    short."""
    report = {}
    for label, name in NAMES.items():
        load = results[label]
        acknowledged = load["requests"] + load["warm_up"]["requests"]
        stored = (peer if label == "django_tenants" else ours).get(name, 0)
        report[label] = {"acknowledged": acknowledged, "stored": stored}
    report["ok"] = all(
        0
        <= entry["stored"] - entry["acknowledged"]
        <= CONCURRENCY * (len(results[label]["runs"]) + 1)
        for label, entry in report.items()
    )
    report["check_orders"] = {"ours": ours.get(CHECK, 0), "peer": peer.get(CHECK, 0)}
    return report


def run(url: str, domains: list[str], runs: int = 3, duration: int = 10) -> dict:
    """`url`: our database with the bench tenants `domains` (bench/provisioning.populate)."""
    ensure_django()
    started, load_before = time.time(), os.getloadavg()
    spread = domains[:CONCURRENCY]
    with scratch_database("django") as peer_url:
        print(f"    django-tenants peer: {len(domains)} tenants …", flush=True)
        peer = provision_peer(peer_url, len(domains))
        environment = {"DATABASE_URL": url, "SECRET_KEY": SECRET}
        specs = {
            "api": (
                "wsgi:app",
                {
                    **environment,
                    "OMNIORDER_PUSH_INVALIDATION": "1",
                    "OMNIORDER_ORDER_RATE_LIMIT": NEVER_TRIPS,
                },
            ),
            "django_tenants": (
                "bench.peers.django_tenants.wsgi:application",
                {"DJANGO_BENCH_DATABASE_URL": peer_url},
            ),
            "bare": ("bench.bare_wsgi:orders", environment),
        }
        with ExitStack() as stack:
            ports = {name: stack.enter_context(gunicorn(*spec)) for name, spec in specs.items()}
            items = our_items(ports["api"], domains)
            names = two_items(items[domains[0]], peer["items"][domains[0]])
            bodies = {
                label: [order_body(items[d], names, NAMES[label]) for d in domains]
                for label in ("api", "bare", "api_c8_1", "api_c8_8")
            }
            bodies["django_tenants"] = [
                order_body(peer["items"][d], names, NAMES["django_tenants"]) for d in domains
            ]
            session = storefront_sessions(url, domains, items, names)
            check = {
                "api": order_body(items[domains[0]], names, CHECK),
                "bare": order_body(items[domains[0]], names, CHECK),
                "django_tenants": order_body(peer["items"][domains[0]], names, CHECK),
            }
            checks = check_answers(ports, domains, check, session)
            all_hosts = lua_list(domains)
            loads = {
                "api": (ports["api"], ORDERS_LUA % (all_hosts, lua_list(bodies["api"])), API),
                "django_tenants": (
                    ports["django_tenants"],
                    ORDERS_LUA % (all_hosts, lua_list(bodies["django_tenants"])),
                    API,
                ),
                "bare": (ports["bare"], ORDERS_LUA % (all_hosts, lua_list(bodies["bare"])), API),
                "storefront": (
                    ports["api"],
                    CHECKOUT_LUA % (all_hosts, lua_list(session[0]), lua_list(session[1])),
                    "/checkout",
                ),
                "api_c8_1": (
                    ports["api"],
                    ORDERS_LUA % (lua_list(domains[:1]), lua_list(bodies["api_c8_1"][:1])),
                    API,
                    CONCURRENCY,
                ),
                "api_c8_8": (
                    ports["api"],
                    ORDERS_LUA % (lua_list(spread), lua_list(bodies["api_c8_8"][: len(spread)])),
                    API,
                    CONCURRENCY,
                ),
            }
            results = interleaved(loads, runs, duration)
        schemas = [f"tenant_b{index}" for index in range(len(domains))]
        ours = stored_orders(url, schemas, "orders")
        theirs = stored_orders(peer_url, schemas, "shop_order")
    results["accounting"] = accounting(results, ours, theirs)
    results["checks"] = checks
    results["items_ordered"] = {"names": names, "quantities": [1, 2]}
    results["peer_provisioning_seconds_per_tenant"] = peer["seconds_per_tenant"]
    results["ratios"] = {
        "api_vs_django_tenants": ratio(results, "api", "django_tenants"),
        "api_vs_bare_order_limit": ratio(results, "api", "bare"),
        "storefront_vs_api": ratio(results, "storefront", "api"),
        "one_restaurant_vs_spread_c8": ratio(results, "api_c8_1", "api_c8_8"),
    }
    results["all_2xx"] = all(
        results[label]["non_2xx"] == 0
        and not any(r["socket_errors"] for r in results[label]["runs"])
        for label in loads
    )
    results["load_average"] = {"before": load_before, "after": os.getloadavg()}
    results["seconds"] = round(time.time() - started)
    return results


def two_items(ours: dict, peers: dict) -> tuple[str, str]:
    """Two items both menus hold, by name: the first and the last of the peer's (our starter
    menu's order)."""
    names = [name for name in peers if name in ours]
    return names[0], names[-1]
