"""Online payments: what an order paid online costs (issue 27), `python -m bench payments`;
bench/README.md, "Online payments: what an order paid online costs".

One run, one localstripe (harness/localstripe.py: the Stripe test double as its own process on
a free loopback port), one gunicorn (wsgi:app, 2 sync workers, push invalidation on, the order
rate limit set too high to trip) over `TENANTS` restaurants, each taking payments online
("optional") with its own Stripe keys. Loads, in interleaved rounds (each once a round, the
order rotated from round to round; a warm-up of each first):

  counter     wrk -t1 -c4 POSTing an order of two items (quantities 1 and 2), "payment":
              "counter", the Host rotated over the restaurants (bench/orders.py's Lua)
  online      the same orders with "payment": "online": the checkout opens a PaymentIntent on
              localstripe before its transaction, then inserts the order with it
  intent_c1   the PaymentIntent create alone, as the app makes it (the `stripe` library, the
              app's transport `DeadlineHTTPClient`, the same parameters), one caller in a loop
  intent_c2   the same, 2 callers (processes) at once: gunicorn's 2 sync workers, the most
              calls the app has in flight
  intent_c4   the same, 4 callers: wrk's connections

Besides throughput and latency, each sample records the CPU that localstripe and the two
gunicorn workers used meanwhile (/proc/<pid>/stat), in cores and per request answered, and the
callers' own CPU per PaymentIntent: localstripe is one Python process (one event loop), so it
can use one core at most and bounds the online rate once it does.
Afterwards the orders stored are counted against the responses wrk received, each online order
must hold its own PaymentIntent and each counter order none, and localstripe's access log must
show one POST /v1/payment_intents per online order stored plus the calls made alone.
"""

import json
import os
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from multiprocessing import get_context

from sqlalchemy import create_engine

from bench.common import bench_app
from bench.http import gunicorn_workers, lua_list, medians, ratio, rotated_rounds, wrk_once
from bench.orders import API, NEVER_TRIPS, ORDERS_LUA, our_items, post
from harness.localstripe import localstripe
from harness.processes import gunicorn

TENANTS = int(os.environ.get("BENCH_PAYMENT_TENANTS", 8))
WRK_CONNECTIONS = 4
WORKERS = 2  # gunicorn's sync workers
AMOUNT, CURRENCY = 1250, "eur"  # of the PaymentIntents made alone (the orders' own: their total)
NAMES = {"counter": "Bench counter", "online": "Bench online"}
CHECK = "Bench check"
ITEMS = ("Fries", "Onion Rings")  # of the starter menu; quantities 1 and 2
TICKS = os.sysconf("SC_CLK_TCK")


def take_payments(url: str, domains: list[str], secret: str, encryption_key: str) -> None:
    """Each restaurant takes payments online (optional) with its own Stripe keys (localstripe
    accepts any; the API base is the server's setting, OMNIORDER_STRIPE_API_BASE)."""
    from omniorder.core.database import db
    from omniorder.core.unit_of_work import unit_of_work
    from omniorder.settings.document import update_settings
    from omniorder.tenancy.bind import tenant_context
    from omniorder.tenancy.registry import tenant_registry

    app = bench_app(
        url,
        SECRET_KEY=secret,
        OMNIORDER_ENCRYPTION_KEYS=encryption_key,
        OMNIORDER_PUSH_INVALIDATION=False,
    )
    with app.app_context():
        for index, domain in enumerate(domains):
            with tenant_context(tenant_registry().lookup(domain)), unit_of_work():
                update_settings(
                    {
                        "payments": {
                            "online": "optional",
                            "stripe": {
                                "publishable_key": f"pk_test_bench{index:04d}",
                                "secret_key": f"sk_test_bench{index:04d}",
                                "webhook_secret": f"whsec_bench{index:04d}",
                            },
                        }
                    }
                )
        db.engine.dispose()


def order_body(items: dict, customer: str, payment: str) -> str:
    lines = [
        {"menu_item_id": items[name], "quantity": quantity}
        for name, quantity in zip(ITEMS, (1, 2), strict=True)
    ]
    return json.dumps({"customer_name": customer, "items": lines, "payment": payment})


def check_answers(port: int, domain: str, items: dict) -> dict:
    """One order of each kind before the loads: 201; the online one answers its PaymentIntent's
    client secret and the publishable key, the counter one no payment."""
    headers = {"Content-Type": "application/json"}
    answers = {}
    for payment in ("counter", "online"):
        status, _, body = post(port, domain, API, order_body(items, CHECK, payment), headers)
        assert status == 201, (payment, status, body[:300])
        answers[payment] = json.loads(body)
    start = answers["online"].get("payment") or {}
    assert start.get("client_secret", "").startswith("pi_"), answers["online"]
    assert not answers["counter"].get("payment"), answers["counter"]
    return {
        payment: {"status": 201, "payment_status": answer.get("payment_status")}
        for payment, answer in answers.items()
    }


def prime() -> None:
    """Each caller process imports the library and the transport before any timing."""
    import stripe  # noqa: F401

    from omniorder.payments import gateway  # noqa: F401


def create_intents(base: str, key: str, start_at: float, seconds: float) -> tuple:
    """One caller (a process of the pool): PaymentIntents created one after another from
    `start_at` for `seconds`, as the checkout creates them; (milliseconds of each, errors)."""
    import stripe

    from omniorder.payments.gateway import DeadlineHTTPClient

    client = stripe.StripeClient(
        key, base_addresses={"api": base}, http_client=DeadlineHTTPClient(), max_network_retries=0
    )
    latencies, errors = [], 0
    time.sleep(max(0.0, start_at - time.time()))
    cpu = time.process_time()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        order_id = uuid.uuid4()
        started = time.perf_counter()
        try:
            client.v1.payment_intents.create(
                params={
                    "amount": AMOUNT,
                    "currency": CURRENCY,
                    "payment_method_types": ["card"],
                    "metadata": {"schema": "tenant_b0", "order_id": str(order_id)},
                },
                options={"idempotency_key": f"omniorder-order-{order_id}-payment"},
            )
        except stripe.StripeError:
            errors += 1
            continue
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, errors, time.process_time() - cpu


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def intents_once(pool, base: str, callers: int, seconds: float) -> dict:
    """`callers` processes creating PaymentIntents at once for `seconds`; wrk's figures."""
    start_at = time.time() + 0.3  # every caller imported and waiting
    futures = [
        pool.submit(create_intents, base, f"sk_test_bench{index:04d}", start_at, seconds)
        for index in range(callers)
    ]
    latencies, errors, cpu = [], 0, 0.0
    for future in futures:
        mine, failed, used = future.result()
        latencies += mine
        errors += failed
        cpu += used
    return {
        "callers_cpu_ms_per_request": round(cpu * 1000 / max(1, len(latencies)), 3),
        "req_per_s": round(len(latencies) / seconds, 1),
        "requests": len(latencies),
        "mean_ms": round(statistics.fmean(latencies), 3),
        "p50_ms": round(statistics.median(latencies), 3),
        "p90_ms": round(percentile(latencies, 0.90), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "non_2xx": errors,
        "socket_errors": None,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def measured(load, processes: dict) -> dict:
    """One sample of `load` with the CPU each group of `processes` (name → pids) used
    meanwhile: in cores, and in milliseconds per request answered."""
    before = {name: sum(map(cpu_seconds, pids)) for name, pids in processes.items()}
    started = time.perf_counter()
    sample = load()
    elapsed = time.perf_counter() - started
    for name, pids in processes.items():
        used = sum(map(cpu_seconds, pids)) - before[name]
        sample[f"{name}_cores"] = round(used / elapsed, 3)
        sample[f"{name}_cpu_ms_per_request"] = round(used * 1000 / max(1, sample["requests"]), 3)
    return sample


def rounds(loads: dict, processes: dict, runs: int, warm_up: int = 2) -> dict:
    """`loads`: label → function(seconds) → sample. A `warm_up` s run of each, then
    `rotated_rounds` (bench/http.py's, with loads that are not all wrk)."""
    warm = {label: measured(lambda f=load: f(warm_up), processes) for label, load in loads.items()}
    samples = rotated_rounds(list(loads), runs, lambda label: measured(loads[label], processes))
    return {
        label: {
            **medians(values),
            **{
                key: round(statistics.median(s[key] for s in values), 3)
                for key in values[0]
                if "cpu" in key or key.endswith("_cores") or key == "mean_ms"
            },
            "warm_up": warm[label],
        }
        for label, values in samples.items()
    }


def stored(url: str, domains: list[str]) -> dict:
    """Per customer name: orders stored, of them with a PaymentIntent, distinct PaymentIntents,
    and their payment statuses."""
    engine = create_engine(url)
    counts: dict = {}
    with engine.connect() as connection:
        for index in range(len(domains)):
            rows = connection.exec_driver_sql(
                "SELECT customer_name, payment_status, count(*), count(payment_intent_id), "
                f'count(DISTINCT payment_intent_id) FROM "tenant_b{index}".orders GROUP BY 1, 2'
            )
            for name, status, orders, with_intent, distinct in rows:
                entry = counts.setdefault(
                    name, {"orders": 0, "with_intent": 0, "distinct_intents": 0, "statuses": {}}
                )
                entry["orders"] += orders
                entry["with_intent"] += with_intent
                entry["distinct_intents"] += distinct
                entry["statuses"][status] = entry["statuses"].get(status, 0) + orders
    engine.dispose()
    return counts


def intents_logged(log_path: str) -> int:
    """POST /v1/payment_intents calls in localstripe's access log."""
    with open(log_path) as log:
        return sum(1 for line in log if '"POST /v1/payment_intents ' in line)


def accounting(results: dict, orders: dict, logged: int) -> dict:
    """Orders stored vs responses wrk counted (warm-ups included; stored may exceed them by the
    requests in flight when wrk stopped, never fall short); each online order its own
    PaymentIntent, no counter order one; localstripe's log: one create per online order stored
    (the check's included: the in-flight ones too) plus those made alone."""
    report = {}
    for label, name in NAMES.items():
        load = results[label]
        acknowledged = load["requests"] + load["warm_up"]["requests"]
        entry = orders.get(name, {"orders": 0, "with_intent": 0, "distinct_intents": 0})
        report[label] = {
            "acknowledged": acknowledged,
            "stored": entry["orders"],
            "with_payment_intent": entry["with_intent"],
            "statuses": entry.get("statuses", {}),
        }
    check = orders.get(CHECK, {"orders": 0, "with_intent": 0})
    alone = sum(
        results[label]["requests"]
        + results[label]["warm_up"]["requests"]
        + results[label]["non_2xx"]
        + results[label]["warm_up"]["non_2xx"]
        for label in results
        if label.startswith("intent_")
    )
    expected = orders.get(NAMES["online"], {}).get("with_intent", 0) + check["with_intent"] + alone
    report["payment_intents_logged"] = {"logged": logged, "expected": expected}
    slack = WRK_CONNECTIONS * (len(results["online"]["runs"]) + 1)
    online, counter = report["online"], report["counter"]
    report["ok"] = (
        all(0 <= report[k]["stored"] - report[k]["acknowledged"] <= slack for k in NAMES)
        and online["with_payment_intent"] == online["stored"]
        and orders.get(NAMES["online"], {}).get("distinct_intents") == online["stored"]
        and online["statuses"] == {"requires_payment": online["stored"]}
        and counter["with_payment_intent"] == 0
        and counter["statuses"] == {"counter": counter["stored"]}
        and logged == expected
    )
    return report


def per_order(results: dict) -> dict:
    """What an order costs a worker, from each round's rates: with `WORKERS` sync workers busy
    all the time (wrk keeps 4 requests outstanding), a worker spends WORKERS / (orders/s) per
    order; online − counter, round by round, beside the PaymentIntent call alone."""

    def worker_ms(rate):
        return WORKERS * 1000 / rate

    rounds_ = [
        round(worker_ms(online["req_per_s"]) - worker_ms(counter["req_per_s"]), 2)
        for online, counter in zip(
            results["online"]["runs"], results["counter"]["runs"], strict=True
        )
    ]
    return {
        "counter_worker_ms": round(worker_ms(results["counter"]["req_per_s"]), 2),
        "online_worker_ms": round(worker_ms(results["online"]["req_per_s"]), 2),
        "online_minus_counter_worker_ms": round(statistics.median(rounds_), 2),
        "online_minus_counter_worker_ms_rounds": rounds_,
        "online_minus_counter_p50_ms": round(
            results["online"]["p50_ms"] - results["counter"]["p50_ms"], 2
        ),
        "online_minus_counter_p90_ms": round(
            results["online"]["p90_ms"] - results["counter"]["p90_ms"], 2
        ),
        "payment_intent_p50_ms": {
            label: results[label]["p50_ms"] for label in results if label.startswith("intent_")
        },
        "payment_intent_mean_ms": {
            label: results[label]["mean_ms"] for label in results if label.startswith("intent_")
        },
        # CPU per order in the gunicorn workers (the app, the stripe library inside it) and in
        # localstripe, beside the same per PaymentIntent created alone (its callers: the
        # library and the transport the app uses).
        "workers_cpu_ms": {label: results[label]["workers_cpu_ms_per_request"] for label in NAMES},
        "workers_cpu_ms_online_minus_counter": round(
            results["online"]["workers_cpu_ms_per_request"]
            - results["counter"]["workers_cpu_ms_per_request"],
            3,
        ),
        "payment_intent_caller_cpu_ms": {
            label: results[label]["callers_cpu_ms_per_request"]
            for label in results
            if label.startswith("intent_")
        },
        "localstripe_cpu_ms": {
            label: results[label]["localstripe_cpu_ms_per_request"]
            for label in results
            if label in NAMES or label.startswith("intent_")
        },
    }


def run(url: str, domains: list[str], secret: str, runs: int = 3, duration: int = 10) -> dict:
    """`url`: our database with the bench tenants `domains` (bench/provisioning.populate)."""
    from cryptography.fernet import Fernet

    started, load_before = time.time(), os.getloadavg()
    encryption_key = Fernet.generate_key().decode()
    take_payments(url, domains, secret, encryption_key)
    log = tempfile.NamedTemporaryFile(prefix="omniorder-bench-localstripe-", suffix=".log")
    with ExitStack() as stack:
        stack.enter_context(log)
        stripe_process = stack.enter_context(localstripe(log))
        environment = {
            "DATABASE_URL": url,
            "SECRET_KEY": secret,
            "OMNIORDER_ENCRYPTION_KEYS": encryption_key,
            "OMNIORDER_STRIPE_API_BASE": stripe_process.base,
            "OMNIORDER_PUSH_INVALIDATION": "1",
            "OMNIORDER_ORDER_RATE_LIMIT": NEVER_TRIPS,
        }
        port = stack.enter_context(gunicorn("wsgi:app", environment, workers=WORKERS))
        pool = stack.enter_context(
            ProcessPoolExecutor(WRK_CONNECTIONS, mp_context=get_context("spawn"), initializer=prime)
        )
        items = our_items(port, domains)
        checks = check_answers(port, domains[0], items[domains[0]])
        hosts = lua_list(domains)
        scripts = {}
        for label in NAMES:
            bodies = [order_body(items[d], NAMES[label], label) for d in domains]
            script = stack.enter_context(tempfile.NamedTemporaryFile("w", suffix=".lua"))
            script.write(ORDERS_LUA % (hosts, lua_list(bodies)))
            script.flush()
            scripts[label] = script.name

        def orders(label):
            return lambda seconds=duration: wrk_once(
                port, scripts[label], API, seconds, WRK_CONNECTIONS
            )

        def intents(callers):
            return lambda seconds=duration: intents_once(
                pool, stripe_process.base, callers, seconds
            )

        loads = {
            "counter": orders("counter"),
            "online": orders("online"),
            "intent_c1": intents(1),
            "intent_c2": intents(WORKERS),
            "intent_c4": intents(WRK_CONNECTIONS),
        }
        processes = {"localstripe": [stripe_process.pid], "workers": gunicorn_workers(port)}
        assert len(processes["workers"]) == WORKERS, processes
        results = rounds(loads, processes, runs)
        time.sleep(0.5)  # localstripe's access log written
        log.flush()
        logged = intents_logged(log.name)
    results["accounting"] = accounting(results, stored(url, domains), logged)
    results["checks"] = checks
    results["items_ordered"] = {"names": list(ITEMS), "quantities": [1, 2]}
    results["tenants"] = len(domains)
    results["per_order"] = per_order(results)
    results["ratios"] = {
        "online_vs_counter": ratio(results, "online", "counter"),
        "online_vs_payment_intents_c2": ratio(results, "online", "intent_c2"),
        "online_vs_payment_intents_c4": ratio(results, "online", "intent_c4"),
        "online_vs_counter_p50": ratio(results, "online", "counter", "p50_ms"),
    }
    results["all_2xx"] = all(
        results[label]["non_2xx"] == 0
        and not any(r["socket_errors"] for r in results[label]["runs"])
        for label in loads
    )
    results["load_average"] = {"before": load_before, "after": os.getloadavg()}
    results["seconds"] = round(time.time() - started)
    return results
