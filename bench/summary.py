"""bench/results/*.json → bench/results/summary.md, with the targets and django-tenants."""

import json

from bench.common import RESULTS

DJANGO_TENANTS = {
    "provision_ms": 45,
    "provision_cold_ms": 57,
    "noop_s": 3.68,
    "noop2_s": 2.03,
    "add_s": 4.25,
    "add2_s": 2.43,
    "revert_s": 4.92,
    "revert2_s": 2.87,
    "menu_rps": 1105,
}


def _load(name):
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def soak_lines(soak: dict) -> list[str]:
    runs = {name: run for name, run in soak.items() if isinstance(run, dict) and "requests" in run}
    first = next(iter(runs.values()))
    lines = [
        f"## Soak: mixed traffic over {first['tenants']} tenants, {first['clients']} "
        "client processes (bench/soak.py)",
        "",
        "| run | push invalidation (listeners at end) | requests | req/s | p50 ms | p99 ms | "
        "5xx (500) | cross-tenant rows | orders acknowledged | orders lost |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, run in runs.items():
        push = run.get("push_invalidation")
        push = (
            "—"
            if push is None
            else f"{'on' if push else 'off'} ({run['change_feed_listeners_at_end']})"
        )
        lines.append(
            f"| {name} | {push} | {run['requests']:,} | {run['req_per_s']:,} | {run['p50_ms']} | "
            f"{run['p99_ms']} | {run['responses_5xx']} ({run['responses_500']}) | "
            f"{run['cross_tenant_rows']} | {run['orders_acknowledged']:,} | "
            f"{run['orders_lost']} |"
        )
    restart = runs.get("restart")
    if restart:
        lines += [
            "",
            f"Restart run: PostgreSQL down {restart['server_down_s']} s; clients saw "
            f"{restart['failed_responses']} failed responses (503) over "
            f"{restart['client_outage_s']} s, no 500, and "
            f"{restart['orders_stored_never_acknowledged']} orders stored that were "
            "never acknowledged.",
        ]
    return [*lines, ""]


def _provisioning_lines(prov: dict) -> list[str]:
    lines = []

    def row(key):
        if key not in prov:
            return "—"
        return f"{prov[key]['median_ms']} ({prov[key]['min_ms']}–{prov[key]['max_ms']})"

    speedup = DJANGO_TENANTS["provision_ms"] / prov["per_tenant_ms"]["median_ms"]
    lines += [
        "## Provisioning (ms, median (min–max))",
        "",
        "| case | OmniOrder | raw SQL baseline | django-tenants |",
        "|---|---|---|---|",
        f"| 1st tenant, cold process | {row('cold_first_ms')} | | "
        f"{DJANGO_TENANTS['provision_cold_ms']} |",
        f"| 1st tenant, warm (5×) | {row('warm_first_ms')} | | |",
        f"| 100th tenant | {row('nth_100_ms')} | | |",
        f"| 200th tenant | {row('nth_200_ms')} | {row('raw_nth_200_ms')} | |",
        f"| per tenant, 200 in sequence | {row('per_tenant_ms')} | "
        f"{row('raw_per_tenant_ms')} | {DJANGO_TENANTS['provision_ms']} |",
        "",
        f"Ours / raw baseline: **{prov['ratio_per_tenant_vs_raw']}×** (target ≤ 1.2×). "
        f"Ours vs django-tenants: **{speedup:.1f}× faster**.",
        "",
    ]
    return lines


def _migrations_lines(migr: dict) -> list[str]:
    lines = []
    cell = lambda key: migr[key]["median_s"]  # noqa: E731
    lines += [
        f"## Migrations across {migr['tenants']} tenants (+ public), whole `flask db` "
        "process (s, median)",
        "",
        "| case | --jobs 1 | --jobs 2 | django-tenants (1 / 2 processes) |",
        "|---|---|---|---|",
        f"| no-op | {cell('noop_jobs1_s')} | {cell('noop_jobs2_s')} | "
        f"{DJANGO_TENANTS['noop_s']} / {DJANGO_TENANTS['noop2_s']} |",
        f"| add column | {cell('add_column_jobs1_s')} | {cell('add_column_jobs2_s')} |"
        f" {DJANGO_TENANTS['add_s']} / {DJANGO_TENANTS['add2_s']} |",
        f"| downgrade | {cell('downgrade_jobs1_s')} | {cell('downgrade_jobs2_s')} | "
        f"{DJANGO_TENANTS['revert_s']} / {DJANGO_TENANTS['revert2_s']} |",
        f"| start-up alone (`flask --help`) | {cell('startup_s')} | | 0.26 |",
        "",
        "Targets: no-op ≤ 0.5 s, add column ≤ 1.0 s with --jobs 1.",
        "",
    ]
    return lines


def _ratio(ratios: dict, key: str) -> str:
    found = ratios.get(key)
    if not found:
        return "—"
    return f"**{found['median_of_rounds']:.2f}×** ({found['of_medians']:.2f}× of medians)"


def _load_table(results: dict) -> list[str]:
    lines = ["| load | req/s | p50 ms | p99 ms | non-2xx or 3xx |", "|---|---|---|---|---|"]
    for key, value in results.items():
        if isinstance(value, dict) and "req_per_s" in value:
            lines.append(
                f"| {key} | {value['req_per_s']} | {value['p50_ms']} | "
                f"{value['p99_ms']} | {value['non_2xx']} |"
            )
    return lines


def _load_average(results: dict) -> str:
    load = results.get("load_average")
    if not load:
        return ""
    return (
        f"Load average (1 min) on the 2 cores: {load['before'][0]:.1f} before, "
        f"{load['after'][0]:.1f} after ({results.get('seconds', '?')} s)."
    )


def _memory_lines(memory: dict) -> list[str]:
    if not memory:
        return []
    return [
        f"Per-worker memory after the same load over {memory['tenants']:,} tenants: RSS "
        f"{memory['mean_rss_kib_push_on'] / 1024:.1f} MiB push on vs "
        f"{memory['mean_rss_kib_push_off'] / 1024:.1f} MiB off (private "
        f"{memory['mean_private_kib_push_on'] / 1024:.1f} vs "
        f"{memory['mean_private_kib_push_off'] / 1024:.1f} MiB: "
        f"{memory['private_kib_difference_bytes_per_tenant']:,} bytes a tenant); the cache's "
        f"own estimate: {memory['cache_estimate_bytes_per_worker'] / 1024:.0f} KiB a worker, "
        f"{memory['cache_estimate_bytes_per_tenant']:,} bytes a tenant (menu body "
        f"{memory['menu_body_bytes']['mean']:,} bytes + 200).",
    ]


def _http_lines(http: dict) -> list[str]:
    lines = [
        "## HTTP (gunicorn 2 sync workers, wrk -t1 -c4; every server up at once, loads "
        "interleaved round by round; median of rounds)",
        "",
        f"{http.get('runs', '?')} rounds × {http.get('duration_s', '?')} s of wrk per load.",
        "",
        *_load_table(http),
        "",
    ]
    ratios = http.get("ratios")
    if not ratios:  # a run from before issue 19
        return [*lines, ""]
    lines += [
        "| ratio (median of per-round ratios) | push on | push off | target |",
        "|---|---|---|---|",
        f"| menu / bare WSGI | {_ratio(ratios, 'menu_vs_bare_push_on')} | "
        f"{_ratio(ratios, 'menu_vs_bare_push_off')} | ≥ 1.0 |",
        f"| menu / plain Flask | {_ratio(ratios, 'menu_vs_plain_push_on')} | "
        f"{_ratio(ratios, 'menu_vs_plain_push_off')} | |",
        f"| unchanged kitchen poll / menu | {_ratio(ratios, 'poll_vs_menu_push_on')} | "
        f"{_ratio(ratios, 'poll_vs_menu_push_off')} | ≥ 1.5 |",
        f"| no-op WSGI app (the gunicorn + wrk floor) / menu | "
        f"{_ratio(ratios, 'floor_vs_menu_push_on')} | "
        f"{_ratio(ratios, 'floor_vs_menu_push_off')} | |",
        "",
        f"Push on / off: menu {_ratio(ratios, 'menu_push_on_vs_off')}, unchanged poll "
        f"{_ratio(ratios, 'poll_push_on_vs_off')}; menu with a matching If-None-Match (304) / "
        f"menu (200), push on: {_ratio(ratios, 'if_none_match_vs_menu_push_on')}. "
        f"Checks: {http.get('checks')}.",
        "",
        *_memory_lines(http.get("memory")),
        "",
        _load_average(http),
        "",
    ]
    return lines


def orders_lines(orders: dict) -> list[str]:
    """The write path (bench/orders.py): also printed by `python -m bench orders`."""
    ratios = orders["ratios"]
    accounting = orders["accounting"]
    return [
        "## The write path: placing orders (gunicorn 2 sync workers; wrk -t1, -c4 unless "
        "named; every server up at once, loads interleaved round by round)",
        "",
        f"{orders.get('runs', '?')} rounds × {orders.get('duration_s', '?')} s of wrk per load; "
        f"each order two items ({', '.join(orders['items_ordered']['names'])}).",
        "",
        *_load_table(orders),
        "",
        "| ratio (median of per-round ratios) | |",
        "|---|---|",
        f"| ours (API) / django-tenants | {_ratio(ratios, 'api_vs_django_tenants')} |",
        f"| ours (API) / bare order limit | {_ratio(ratios, 'api_vs_bare_order_limit')} |",
        f"| storefront checkout / API | {_ratio(ratios, 'storefront_vs_api')} |",
        f"| -c8 on one restaurant / -c8 over 8 | {_ratio(ratios, 'one_restaurant_vs_spread_c8')} |",
        "",
        f"Every response 2xx: {'yes' if orders['all_2xx'] else '**NO**'}. Orders stored vs "
        "responses counted by wrk (warm-ups included): "
        + ", ".join(
            f"{label} {entry['stored']:,} / {entry['acknowledged']:,}"
            for label, entry in accounting.items()
            if isinstance(entry, dict) and "stored" in entry
        )
        + f" ({'consistent' if accounting['ok'] else '**INCONSISTENT**'}).",
        "",
        _load_average(orders),
        "",
    ]


def payments_lines(payments: dict) -> list[str]:
    """Online payments (bench/payments.py): also printed by `python -m bench payments`."""
    order = payments["per_order"]
    ratios = payments["ratios"]
    accounting = payments["accounting"]

    def ratio(name):
        entry = ratios[name]
        return f"{entry['median_of_rounds']}× ({entry['of_medians']}×)"

    table = [
        "| load | per s | p50 ms | p90 ms | p99 ms | CPU ms / request: workers or callers | "
        "localstripe | localstripe cores | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label in ("counter", "online", "intent_c1", "intent_c2", "intent_c4"):
        value = payments[label]
        own = value.get("callers_cpu_ms_per_request", value["workers_cpu_ms_per_request"])
        table.append(
            f"| {label} | {value['req_per_s']} | {value['p50_ms']} | {value['p90_ms']} | "
            f"{value['p99_ms']} | {own} | {value['localstripe_cpu_ms_per_request']} | "
            f"{value['localstripe_cores']} | {value['non_2xx']} |"
        )
    load = payments["load_average"]
    return [
        "## Online payments: counter vs online orders, and the PaymentIntent call alone "
        "(gunicorn 2 sync workers, wrk -t1 -c4; localstripe; interleaved rounds)",
        "",
        f"{payments.get('runs', '?')} rounds × {payments.get('duration_s', '?')} s per load over "
        f"{payments['tenants']} restaurants; intent_cN: N processes creating PaymentIntents "
        "with the stripe library.",
        "",
        *table,
        "",
        f"Online / counter orders per s: {ratio('online_vs_counter')}; online orders / "
        f"PaymentIntents alone at 2 callers: {ratio('online_vs_payment_intents_c2')}, at 4: "
        f"{ratio('online_vs_payment_intents_c4')} (median of per-round ratios, of medians in "
        "brackets).",
        f"A worker's time per order: counter {order['counter_worker_ms']} ms, online "
        f"{order['online_worker_ms']} ms, online − counter "
        f"{order['online_minus_counter_worker_ms']} ms (median of rounds); the PaymentIntent "
        "call alone, mean / p50: "
        + ", ".join(
            f"{k} {order['payment_intent_mean_ms'][k]} / {v} ms"
            for k, v in order["payment_intent_p50_ms"].items()
        )
        + ". The workers' CPU per order: online − counter "
        f"{order['workers_cpu_ms_online_minus_counter']} ms; a PaymentIntent's callers' CPU alone: "
        + ", ".join(f"{k} {v} ms" for k, v in order["payment_intent_caller_cpu_ms"].items())
        + ".",
        f"Every response 2xx: {'yes' if payments['all_2xx'] else '**NO**'}; stored / "
        f"acknowledged: counter {accounting['counter']['stored']:,} / "
        f"{accounting['counter']['acknowledged']:,}, online {accounting['online']['stored']:,} / "
        f"{accounting['online']['acknowledged']:,}; PaymentIntents logged by localstripe "
        f"{accounting['payment_intents_logged']['logged']:,} / expected "
        f"{accounting['payment_intents_logged']['expected']:,} "
        f"({'consistent' if accounting['ok'] else '**INCONSISTENT**'}).",
        f"Load average (1 min): {load['before'][0]:.1f} before, {load['after'][0]:.1f} after "
        f"({payments['seconds']} s).",
        "",
    ]


def _at_scale(scale: dict) -> str:
    interleaved = scale.get("provision_vs_raw_at_scale")
    if interleaved is None:  # results from before the interleaving
        return f"(raw only: {scale.get('raw_provision_after_last', {}).get('median_ms', '—')} ms)"
    return (
        f"{interleaved['ours']['median_ms']} vs {interleaved['raw']['median_ms']} ms "
        f"({interleaved['ratio']}×)"
    )


def _scale_lines(scale: dict) -> list[str]:
    lines = []
    lines += [
        f"## Scale: {scale['tenants']} tenants",
        "",
        f"- provisioning: first 100 tenants "
        f"{scale['provision_first_100']['median_ms']} ms median, last 100 "
        f"{scale['provision_last_100']['median_ms']} ms median; then ours vs raw SQL "
        f"interleaved at that catalog size {_at_scale(scale)}",
        f"- migrations: no-op {scale['migrations']['noop_jobs1_s']['median_s']} s, "
        f"add column {scale['migrations']['add_column_jobs1_s']['median_s']} s "
        f"(--jobs 1), {scale['migrations']['add_column_jobs2_s']['median_s']} s "
        f"(--jobs 2), downgrade {scale['migrations']['downgrade_jobs1_s']['median_s']} s",
        "",
    ]
    http = scale["http"]
    lines += [
        f"{scale.get('runs', '?')} rounds × {scale.get('duration_s', '?')} s of wrk per load.",
        "",
        *_load_table(http),
    ]
    ratios = http.get("ratios")
    if ratios:
        many = scale["tenants"]
        lines += [
            "",
            f"Menu over {many:,} tenants / over 50 of the same database (target: within 10 %):"
            f" push on {_ratio(ratios, f'menu_{many}_vs_50_push_on')}, push off "
            f"{_ratio(ratios, f'menu_{many}_vs_50_push_off')}; push on / off over {many:,}: "
            f"{_ratio(ratios, 'menu_push_on_vs_off')}.",
            "",
            *_memory_lines(http.get("memory")),
            "",
            _load_average(http),
        ]
    lines.append("")
    return lines


def _analytics_lines(sales: dict) -> list[str]:
    lines = []
    lines += [
        f"## Analytics warehouse: {sales['tenants']} tenants × "
        f"{sales['orders_per_tenant']} orders (whole `flask analytics` process)",
        "",
        f"- full refresh: {sales['full_refresh_s']} s (--jobs 2: "
        f"{sales['full_refresh_jobs2_s']} s); target ≤ 10 s",
        f"- incremental refresh with no new orders: {sales['incremental_noop_s']} s; target ≤ 1 s",
        f"- platform report from the warehouse: {sales['warehouse_report_query_s']} s "
        f"(one query) vs the naive loop of one GROUP BY per schema: "
        f"{sales['naive_loop_s']} s",
        "",
    ]
    return lines


def _operations_lines(ops: dict) -> list[str]:
    lines = []
    arch = ops["archival"]
    lines += [
        "## Archival and pgbouncer",
        "",
        f"- archival of {arch['orders']:,} old orders from {arch['tenants']} tenants "
        f"to local Parquet: {arch['seconds']} s, **{arch['orders_per_s']:,} orders/s**,"
        f" {arch['files']} files, peak RSS {arch['peak_rss_mib']} MiB",
    ]
    bounce = ops["http_pgbouncer"]
    if "skipped" not in bounce:
        for key in ("direct", "direct_prepares_off", "pgbouncer"):
            lines.append(
                f"- menu over 50 tenants, {key}: {bounce[key]['req_per_s']} req/s, "
                f"p99 {bounce[key]['p99_ms']} ms, non-2xx {bounce[key]['non_2xx']}"
            )
    lines.append("")
    return lines


def write_summary() -> str:
    results = {
        name: _load(name)
        for name in (
            "provisioning",
            "migrations",
            "http",
            "orders",
            "payments",
            "scale",
            "analytics",
            "operations",
            "soak",
        )
    }
    meta = next(
        (
            results[name]
            for name in ("provisioning", "migrations", "http", "scale")
            if results[name]
        ),
        {},
    )
    lines = ["# Benchmark results", ""]
    if meta:
        lines += [
            f"Machine: {meta['machine']}; runs: {meta['runs']}; "
            f"wrk duration: {meta['duration_s']} s.",
            "",
        ]
    sections = {
        "provisioning": _provisioning_lines,
        "migrations": _migrations_lines,
        "http": _http_lines,
        "orders": orders_lines,
        "payments": payments_lines,
        "scale": _scale_lines,
        "analytics": _analytics_lines,
        "operations": _operations_lines,
        "soak": soak_lines,
    }
    for name, section in sections.items():
        if results[name]:
            lines += section(results[name])
    text = "\n".join(lines)
    (RESULTS / "summary.md").write_text(text)
    return text


if __name__ == "__main__":
    print(write_summary())
