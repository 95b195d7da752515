"""HTTP: gunicorn (2 sync workers) under wrk, with push invalidation on and off, against a
plain Flask stack and bare WSGI, all in one run.

Every server of a run is started first; then each round loads each of them once with
`wrk -t1 -c4` (the order rotating from round to round), so the ratios compare figures taken
minutes apart on the same machine under the same background load. Ratios are given both as
ratios of the medians and as the median of the per-round ratios.

With more than 50 domains (the scale run) the menu is also loaded over the first 50 of the
same database: the "2,000 vs 50 tenants" comparison. Each load is warmed up first (1 s per
200 domains, at least 2 s), so that every worker holds every tenant's menu before timing.
After the last round each worker's memory is read from /proc (RSS and private bytes), push
on vs off after the same load, and the per-worker cache's own estimate is computed from the
menu bodies (ChangeFeed stores a menu as its JSON body + 200 bytes).
"""

import http.client
import math
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from harness.processes import gunicorn

SECRET = "bench-secret-key-" + "x" * 20
COMPARE_TENANTS = 50  # the scale run's menu is also loaded over this many of its tenants
MENU_LUA = """
local hosts = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/menu", {Host = hosts[(i %% #hosts) + 1]})
end
"""
MENU_GERMAN_LUA = """
local hosts = {%s}
local i = 0
request = function()
  i = i + 1
  local german = "de-DE,de;q=0.9,en;q=0.8"
  return wrk.format("GET", "/api/v1/menu",
                    {Host = hosts[(i %% #hosts) + 1], ["Accept-Language"] = german})
end
"""
MENU_ETAG_LUA = """
local hosts = {%s}
local etags = {%s}
local i = 0
request = function()
  i = i + 1
  local n = (i %% #hosts) + 1
  return wrk.format("GET", "/api/v1/menu", {Host = hosts[n], ["If-None-Match"] = etags[n]})
end
"""
POLL_LUA = """
local hosts = {%s}
local cookies = {%s}
local i = 0
request = function()
  i = i + 1
  local n = (i %% #hosts) + 1
  local minute = math.floor(os.time() / 60)
  return wrk.format("GET", "/kitchen/board?since=0-" .. minute,
                    {Host = hosts[n], Cookie = "session=" .. cookies[n], ["HX-Request"] = "true"})
end
"""


def noop_204(environ, start_response):
    """The floor of gunicorn + wrk on this machine (`gunicorn bench.http:noop_204`): a WSGI
    callable that answers 204 at once. 1 / its rate is what every request costs before any
    application code runs (wrk, accept, HTTP parsing, closing the connection)."""
    start_response("204 No Content", [])
    return [b""]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL
        )
        return shutil.which("wrk")
    raise SystemExit("wrk is needed: apt-get install wrk")


def parse_wrk(output: str) -> dict:
    def ms(label):
        match = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", output)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "req_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50_ms": ms("50"),
        "p90_ms": ms("90"),
        "p99_ms": ms("99"),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1) if errors else None,
    }


def wrk_once(port: int, script: str, path: str, duration: int, connections: int = 4) -> dict:
    result = subprocess.run(
        [ensure_wrk(), "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script]
        + [f"http://127.0.0.1:{port}{path}"],
        check=True,
        capture_output=True,
        text=True,
    )
    return parse_wrk(result.stdout)


def medians(samples: list[dict]) -> dict:
    return {
        "req_per_s": round(statistics.median(s["req_per_s"] for s in samples), 1),
        "p50_ms": round(statistics.median(s["p50_ms"] for s in samples), 3),
        "p90_ms": round(statistics.median(s["p90_ms"] for s in samples), 3),
        "p99_ms": round(statistics.median(s["p99_ms"] for s in samples), 3),
        "non_2xx": sum(s["non_2xx"] for s in samples),
        "requests": sum(s["requests"] for s in samples),
        "runs": samples,
    }


def serve_and_load(
    target: str, environment: dict, lua: str, path: str, runs: int, duration: int
) -> dict:
    """Start gunicorn on `target`, warm up 2 s, then `runs` × wrk; medians of the runs
    (bench/operations.py's pgbouncer comparison)."""
    with (
        gunicorn(target, environment) as port,
        tempfile.NamedTemporaryFile("w", suffix=".lua") as script,
    ):
        script.write(lua)
        script.flush()
        wrk_once(port, script.name, path, 2)
        return medians([wrk_once(port, script.name, path, duration) for _ in range(runs)])


def lua_list(values) -> str:
    return ", ".join(
        '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values
    )


def session_cookies(url: str, domains: list[str], secret: str) -> list[str]:
    """Signed-in staff sessions (each tenant's admin), minted with the app's own serializer."""
    from sqlalchemy import select

    from bench.common import bench_app
    from omniorder.core.database import db
    from omniorder.staff.models import User
    from omniorder.tenancy.bind import tenant_context
    from omniorder.tenancy.registry import tenant_registry

    app = bench_app(url, SECRET_KEY=secret, OMNIORDER_PUSH_INVALIDATION=False)
    cookies = []
    with app.app_context():
        serializer = app.session_interface.get_signing_serializer(app)
        for domain in domains:
            tenant = tenant_registry().lookup(domain)
            with tenant_context(tenant):
                user_id, version = db.session.execute(select(User.id, User.session_version)).first()
            cookies.append(
                serializer.dumps({"_user_id": f"{tenant.id}:{user_id}:{version}", "_fresh": True})
            )
        db.engine.dispose()
    return cookies


def fetch(port: int, host: str, path: str, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def gunicorn_workers(port: int) -> list[int]:
    """The worker processes of the gunicorn bound to 127.0.0.1:`port` (children of its
    master, found by the bind address on their command line)."""
    mark = f"127.0.0.1:{port}".encode()
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if mark in command and b"gunicorn" in command:
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return sorted(pid for pid, parent in parents.items() if parent in parents)


def worker_memory(port: int) -> dict:
    """Each worker's RSS, PSS and private (clean + dirty) KiB, from smaps_rollup."""
    workers = {}
    for pid in gunicorn_workers(port):
        fields = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, value = line.split(":", 1)
            fields[name] = int(value.split()[0])
        workers[pid] = {
            "rss_kib": fields["Rss"],
            "pss_kib": fields["Pss"],
            "private_kib": fields["Private_Clean"] + fields["Private_Dirty"],
        }
    return workers


def rotated_rounds(labels: list, runs: int, take) -> dict:
    """`runs` rounds of `take(label)` for each label once a round, the order rotated by one
    every round, so no load always runs first or after the same neighbour: label → samples."""
    samples = {label: [] for label in labels}
    for index in range(runs):
        for label in labels[index % len(labels) :] + labels[: index % len(labels)]:
            samples[label].append(take(label))
        print(f"    round {index + 1}/{runs} done", flush=True)
    return samples


def interleaved(loads: dict, runs: int, duration: int, warm_up: int = 2) -> dict:
    """`loads`: label → (port, lua, path) or (port, lua, path, wrk connections; 4 if not
    given). A `warm_up` s run of each, then `rotated_rounds` of `duration` s each."""
    with ExitStack() as stack:
        scripts = {}
        for label, (_, lua, *_) in loads.items():
            script = stack.enter_context(tempfile.NamedTemporaryFile("w", suffix=".lua"))
            script.write(lua)
            script.flush()
            scripts[label] = script.name
        warm = {
            label: wrk_once(port, scripts[label], path, warm_up, *connections)
            for label, (port, _, path, *connections) in loads.items()
        }

        def take(label):
            port, _, path, *connections = loads[label]
            return wrk_once(port, scripts[label], path, duration, *connections)

        samples = rotated_rounds(list(loads), runs, take)
    return {label: {**medians(values), "warm_up": warm[label]} for label, values in samples.items()}


def ratio(results: dict, numerator: str, denominator: str, field: str = "req_per_s") -> dict | None:
    """`numerator` / `denominator` of `field`: of the medians, and per round (median of them)."""
    if numerator not in results or denominator not in results:
        return None
    top, bottom = results[numerator], results[denominator]
    per_round = [
        round(a[field] / b[field], 3) for a, b in zip(top["runs"], bottom["runs"], strict=True)
    ]
    return {
        "of_medians": round(top[field] / bottom[field], 3),
        "median_of_rounds": round(statistics.median(per_round), 3),
        "rounds": per_round,
    }


def run(
    url: str,
    domains: list[str],
    runs: int = 3,
    duration: int = 10,
    baselines: bool = True,
    poll: bool = True,
) -> dict:
    """Our app with push invalidation on and off (and, with `baselines`, plain_app.py and
    bare_wsgi.py; with `poll`, unchanged kitchen polls), loaded in interleaved rounds."""
    started = time.time()
    load_before = os.getloadavg()
    environment = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "PLAIN_SCHEMA": "tenant_b0"}
    specs = {
        "push_on": ("wsgi:app", {**environment, "OMNIORDER_PUSH_INVALIDATION": "1"}),
        "push_off": ("wsgi:app", {**environment, "OMNIORDER_PUSH_INVALIDATION": "0"}),
    }
    if baselines:
        specs["plain"] = ("bench.plain_app:app", environment)
        specs["bare"] = ("bench.bare_wsgi:app", environment)
        specs["noop"] = ("bench.http:noop_204", environment)
    many = len(domains)
    few = domains[:COMPARE_TENANTS]
    cookies = session_cookies(url, domains, SECRET) if poll else None
    with ExitStack() as stack:
        ports = {name: stack.enter_context(gunicorn(*spec)) for name, spec in specs.items()}
        # One GET per tenant (push on): the body sizes the cache's estimate is made of, the
        # ETags for the If-None-Match load, and a first touch of every tenant.
        bodies, etags = [], []
        for domain in domains:
            status, headers, body = fetch(ports["push_on"], domain, "/api/v1/menu")
            assert status == 200, (domain, status)
            bodies.append(len(body))
            etags.append(headers.get("ETag"))
        checks = {}
        loads = {}
        for push in ("push_on", "push_off"):
            loads[f"menu_{many}_tenants_{push}"] = (
                ports[push],
                MENU_LUA % lua_list(domains),
                "/api/v1/menu",
            )
            if many > COMPARE_TENANTS:
                loads[f"menu_{COMPARE_TENANTS}_tenants_{push}"] = (
                    ports[push],
                    MENU_LUA % lua_list(few),
                    "/api/v1/menu",
                )
            if poll:
                minute = int(time.time() // 60)
                checks[f"poll_status_{push}"] = fetch(
                    ports[push],
                    domains[0],
                    f"/kitchen/board?since=0-{minute}",
                    {"Cookie": f"session={cookies[0]}", "HX-Request": "true"},
                )[0]
                loads[f"kitchen_poll_{many}_tenants_{push}"] = (
                    ports[push],
                    POLL_LUA % (lua_list(domains), lua_list(cookies)),
                    "/kitchen/board",
                )
        # The menu in German (every bench restaurant offers en and de, bench/provisioning.py):
        # its own cached body, chosen before Flask from Accept-Language.
        german = fetch(
            ports["push_on"], domains[0], "/api/v1/menu", {"Accept-Language": "de-DE,de;q=0.9"}
        )
        checks["german_menu_status"] = german[0]
        checks["german_menu_differs"] = (
            german[2] != fetch(ports["push_on"], domains[0], "/api/v1/menu")[2]
        )
        loads[f"menu_{many}_tenants_push_on_german"] = (
            ports["push_on"],
            MENU_GERMAN_LUA % lua_list(domains),
            "/api/v1/menu",
        )
        if baselines:
            checks["if_none_match_status"] = fetch(
                ports["push_on"], domains[0], "/api/v1/menu", {"If-None-Match": etags[0]}
            )[0]
            loads[f"menu_{many}_tenants_push_on_if_none_match"] = (
                ports["push_on"],
                MENU_ETAG_LUA % (lua_list(domains), lua_list(etags)),
                "/api/v1/menu",
            )
            for name, label in (
                ("plain", "plain_baseline"),
                ("bare", "bare_limit"),
                ("noop", "noop_floor"),
            ):
                loads[label] = (ports[name], MENU_LUA % lua_list(domains), "/api/v1/menu")
        # Long enough for both workers to have cached every tenant (steady state) at scale.
        results = interleaved(loads, runs, duration, warm_up=max(2, math.ceil(many / 200)))
        memory = {push: worker_memory(ports[push]) for push in ("push_on", "push_off")}
    results["checks"] = checks
    results["ratios"] = ratios(results, many, baselines, poll)
    results["memory"] = memory_report(memory, bodies)
    results["load_average"] = {"before": load_before, "after": os.getloadavg()}
    results["seconds"] = round(time.time() - started)
    return results


def ratios(results: dict, many: int, baselines: bool, poll: bool) -> dict:
    found = {}
    for push in ("push_on", "push_off"):
        menu = f"menu_{many}_tenants_{push}"
        if baselines:
            found[f"menu_vs_bare_{push}"] = ratio(results, menu, "bare_limit")
            found[f"menu_vs_plain_{push}"] = ratio(results, menu, "plain_baseline")
        if baselines:
            found[f"floor_vs_menu_{push}"] = ratio(results, "noop_floor", menu)
        if poll:
            found[f"poll_vs_menu_{push}"] = ratio(
                results, f"kitchen_poll_{many}_tenants_{push}", menu
            )
        if many > COMPARE_TENANTS:
            found[f"menu_{many}_vs_{COMPARE_TENANTS}_{push}"] = ratio(
                results, menu, f"menu_{COMPARE_TENANTS}_tenants_{push}"
            )
    found["german_menu_vs_menu_push_on"] = ratio(
        results, f"menu_{many}_tenants_push_on_german", f"menu_{many}_tenants_push_on"
    )
    found["menu_push_on_vs_off"] = ratio(
        results, f"menu_{many}_tenants_push_on", f"menu_{many}_tenants_push_off"
    )
    if poll:
        found["poll_push_on_vs_off"] = ratio(
            results, f"kitchen_poll_{many}_tenants_push_on", f"kitchen_poll_{many}_tenants_push_off"
        )
    if baselines:
        found["if_none_match_vs_menu_push_on"] = ratio(
            results, f"menu_{many}_tenants_push_on_if_none_match", f"menu_{many}_tenants_push_on"
        )
    return {key: value for key, value in found.items() if value}


def memory_report(memory: dict, bodies: list[int]) -> dict:
    """Workers' memory push on vs off after the same load, and the cache's own estimate."""

    def mean(push, field):
        values = [worker[field] for worker in memory[push].values()]
        return round(statistics.mean(values)) if values else None

    tenants = len(bodies)
    estimate = sum(bodies) + 200 * tenants  # ChangeFeed's size of the menu API entries
    report = {
        "tenants": tenants,
        "workers": memory,
        "menu_body_bytes": {
            "mean": round(statistics.mean(bodies)),
            "min": min(bodies),
            "max": max(bodies),
        },
        "cache_estimate_bytes_per_worker": estimate,
        "cache_estimate_bytes_per_tenant": round(estimate / tenants),
    }
    for field in ("rss_kib", "private_kib"):
        on, off = mean("push_on", field), mean("push_off", field)
        report[f"mean_{field}_push_on"] = on
        report[f"mean_{field}_push_off"] = off
        if on is not None and off is not None:
            report[f"{field}_difference_per_worker"] = on - off
            report[f"{field}_difference_bytes_per_tenant"] = round((on - off) * 1024 / tenants)
    return report
