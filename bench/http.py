"""HTTP: gunicorn (2 sync workers) under wrk, our app vs a plain Flask stack vs bare WSGI."""

import os
import re
import shutil
import statistics
import subprocess
import tempfile

from tests.support.processes import gunicorn

MENU_LUA = """
local hosts = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/menu", {Host = hosts[(i %% #hosts) + 1]})
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
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1) if errors else None,
    }


def serve_and_load(
    target: str, environment: dict, lua: str, path: str, runs: int, duration: int
) -> dict:
    """Start gunicorn on `target`, warm up 2 s, then `runs` × wrk; medians of the runs."""
    wrk = ensure_wrk()
    with (
        gunicorn(target, environment) as port,
        tempfile.NamedTemporaryFile("w", suffix=".lua") as script,
    ):
        script.write(lua)
        script.flush()
        url = f"http://127.0.0.1:{port}{path}"
        subprocess.run(
            [wrk, "-t1", "-c4", "-d2s", "-s", script.name, url], check=True, capture_output=True
        )
        samples = []
        for _ in range(runs):
            result = subprocess.run(
                [wrk, "-t1", "-c4", f"-d{duration}s", "--latency", "-s", script.name, url],
                check=True,
                capture_output=True,
                text=True,
            )
            samples.append(parse_wrk(result.stdout))
    return {
        "req_per_s": round(statistics.median(s["req_per_s"] for s in samples), 1),
        "p50_ms": round(statistics.median(s["p50_ms"] for s in samples), 3),
        "p99_ms": round(statistics.median(s["p99_ms"] for s in samples), 3),
        "non_2xx": sum(s["non_2xx"] for s in samples),
        "runs": samples,
    }


def lua_list(values) -> str:
    return ", ".join(f'"{value}"' for value in values)


def session_cookies(url: str, domains: list[str], secret: str) -> list[str]:
    """Signed-in staff sessions (each tenant's admin), minted with the app's own serializer."""
    from sqlalchemy import select

    from bench.common import bench_app
    from omniorder.extensions import db
    from omniorder.models import User
    from omniorder.tenancy.bind import tenant_context
    from omniorder.tenancy.registry import tenant_registry

    app = bench_app(url, SECRET_KEY=secret)
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


def run(
    url: str,
    domains: list[str],
    runs: int = 3,
    duration: int = 10,
    baselines: bool = True,
    poll: bool = True,
) -> dict:
    secret = "bench-secret-key-" + "x" * 20
    environment = {"DATABASE_URL": url, "SECRET_KEY": secret, "PLAIN_SCHEMA": "tenant_b0"}
    results = {
        f"menu_{len(domains)}_tenants": serve_and_load(
            "wsgi:app", environment, MENU_LUA % lua_list(domains), "/api/v1/menu", runs, duration
        ),
        "menu_1_tenant": serve_and_load(
            "wsgi:app",
            environment,
            MENU_LUA % lua_list(domains[:1]),
            "/api/v1/menu",
            runs,
            duration,
        ),
    }
    if baselines:
        for name, target in (
            ("plain_baseline", "bench.plain_app:app"),
            ("bare_limit", "bench.bare_wsgi:app"),
        ):
            results[name] = serve_and_load(
                target,
                environment,
                MENU_LUA % lua_list(domains[:1]),
                "/api/v1/menu",
                runs,
                duration,
            )
    if poll:
        cookies = session_cookies(url, domains, secret)
        results[f"kitchen_poll_{len(domains)}_tenants"] = serve_and_load(
            "wsgi:app",
            environment,
            POLL_LUA % (lua_list(domains), lua_list(cookies)),
            "/kitchen/board",
            runs,
            duration,
        )
    return results
