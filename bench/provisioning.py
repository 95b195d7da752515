"""Provisioning latency: our service vs hand-written SQL over one psycopg connection.

One tenant = registry row + schema + tables + board and settings rows + 1 admin + the
starter menu (3 categories, 10 items), one transaction. The admin's bcrypt hash is included
at cost 4 (about 1 ms; the raw SQL side inserts a fixed hash). `check_raw_baseline`, run
before any timing, fails when the hand-written schema and the models' schema differ.
"""

import copy
import json
import statistics
import subprocess
import sys

import psycopg

from bench.common import (
    FIXED_HASH,
    REPOSITORY,
    bench_app,
    conninfo,
    migrate_public,
    scratch_database,
    summary,
    timed,
)

SEQUENCE = 200
SCALE_SAMPLE = 40  # tenants each way per catalog size in `at_scale`


def german_starter_menu() -> dict:
    """The starter menu with a German name and description on every item and category: the
    http benchmark's German menu (Accept-Language: de) is a body of its own."""
    from omniorder.platform.tenants import STARTER_MENU

    menu = copy.deepcopy(STARTER_MENU)
    for category in menu["categories"]:
        category["name_i18n"] = {"de": f"{category['name']} (Deutsch)"}
        for item in category["items"]:
            item["name_i18n"] = {"de": f"{item['name']} nach Art des Hauses"}
            if item.get("description"):
                item["description_i18n"] = {"de": f"Hausgemacht: {item['description']}"}
    return menu


def provision(app, index: int, prefix: str = "b", german: bool = False) -> None:
    """Tenant `index`, as an operator provisions one; `german`: the starter menu translated and
    the restaurant offering en and de (the http benchmark), not what provisioning times."""
    from omniorder.core.unit_of_work import unit_of_work
    from omniorder.platform.tenants import provision_tenant

    with app.app_context(), unit_of_work():
        provision_tenant(
            name=f"Bench {index}",
            domain=f"{prefix}{index}.bench.localhost",
            schema_name=f"tenant_{prefix}{index}",
            admin_email=f"admin@{prefix}{index}.bench.localhost",
            admin_password="bench password",
            menu=german_starter_menu() if german else None,
            settings={"languages": ["en", "de"]} if german else None,
        )


def populate(url: str, tenants: int, german: bool = False) -> list[float]:
    """Migrate public and provision tenants b0…b<n-1>; return each one's milliseconds."""
    app = bench_app(url)
    migrate_public(app)
    latencies = [
        timed(lambda index=index: provision(app, index, german=german)) for index in range(tenants)
    ]
    with app.app_context():
        from omniorder.core.database import db

        db.engine.dispose()
    return latencies


def drop(app, index: int, prefix: str = "b") -> None:
    from omniorder.core.unit_of_work import unit_of_work
    from omniorder.platform.tenants import drop_tenant

    with app.app_context(), unit_of_work():
        drop_tenant(f"{prefix}{index}.bench.localhost")


RAW_DDL = """
CREATE SCHEMA {s};
CREATE TABLE {s}.users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email varchar NOT NULL,
  hashed_password varchar NOT NULL, full_name varchar, role varchar NOT NULL DEFAULT 'admin',
  session_version integer NOT NULL DEFAULT 0,
  CONSTRAINT users_role_check CHECK (role IN ('admin', 'manager', 'kitchen')));
CREATE UNIQUE INDEX ix_tenant_users_email ON {s}.users (email);
CREATE TABLE {s}.categories (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name varchar NOT NULL,
  rank integer NOT NULL DEFAULT 0, station varchar);
CREATE TABLE {s}.menu_items (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  category_id uuid REFERENCES {s}.categories (id), name varchar NOT NULL, description text,
  price integer NOT NULL, image_url varchar, is_available boolean NOT NULL DEFAULT true,
  allergens varchar[] NOT NULL DEFAULT '{{}}', photo jsonb, photo_alt text,
  CONSTRAINT menu_items_price_check CHECK (price >= 0));
CREATE INDEX ix_tenant_menu_items_category_id ON {s}.menu_items (category_id);
CREATE TABLE {s}.option_groups (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar NOT NULL, min_choices integer NOT NULL DEFAULT 0,
  max_choices integer NOT NULL DEFAULT 1,
  CONSTRAINT option_groups_choices_check
    CHECK (min_choices >= 0 AND max_choices >= 1 AND max_choices >= min_choices));
CREATE UNIQUE INDEX option_groups_name_key ON {s}.option_groups (lower(name));
CREATE TABLE {s}.item_option_groups (
  menu_item_id uuid NOT NULL REFERENCES {s}.menu_items (id) ON DELETE CASCADE,
  group_id uuid NOT NULL REFERENCES {s}.option_groups (id) ON DELETE CASCADE,
  rank integer NOT NULL DEFAULT 0, PRIMARY KEY (menu_item_id, group_id));
CREATE INDEX ix_tenant_item_option_groups_group_id ON {s}.item_option_groups (group_id);
CREATE TABLE {s}.options (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  group_id uuid NOT NULL REFERENCES {s}.option_groups (id) ON DELETE CASCADE,
  name varchar NOT NULL, price_delta integer NOT NULL DEFAULT 0,
  is_available boolean NOT NULL DEFAULT true, rank integer NOT NULL DEFAULT 0,
  CONSTRAINT options_price_delta_check CHECK (price_delta >= 0));
CREATE INDEX ix_tenant_options_group_id ON {s}.options (group_id);
CREATE TABLE {s}.orders (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  number integer GENERATED BY DEFAULT AS IDENTITY (START WITH 1001) NOT NULL UNIQUE,
  customer_name varchar NOT NULL, status varchar NOT NULL DEFAULT 'PENDING',
  total_amount bigint NOT NULL, subtotal bigint NOT NULL, tax bigint NOT NULL DEFAULT 0,
  tax_inclusive boolean NOT NULL DEFAULT false, tip bigint NOT NULL DEFAULT 0,
  currency varchar(3) NOT NULL DEFAULT 'USD', note text, items jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(), idempotency_key varchar(200) UNIQUE,
  request_digest varchar(64), status_changed_at timestamptz NOT NULL DEFAULT now(),
  ready_at timestamptz, pickup_at timestamptz, picked_up_at timestamptz, cancel_reason text,
  customer_email varchar, customer_phone varchar,
  payment_status varchar NOT NULL DEFAULT 'counter', payment_intent_id varchar(255) UNIQUE,
  amount_refunded bigint NOT NULL DEFAULT 0, payment_error text,
  analytics_pending boolean NOT NULL DEFAULT true,
  CONSTRAINT orders_status_check CHECK (status IN ('PENDING', 'COOKING', 'DONE', 'CANCELLED')),
  CONSTRAINT orders_total_amount_check CHECK (total_amount >= 0),
  CONSTRAINT orders_payment_status CHECK (payment_status IN ('counter', 'requires_payment',
    'paid', 'refunded', 'partially_refunded')),
  CONSTRAINT orders_amount_refunded_check
    CHECK (amount_refunded >= 0 AND amount_refunded <= total_amount));
CREATE INDEX ix_tenant_orders_awaiting_payment ON {s}.orders (created_at)
  WHERE payment_status = 'requires_payment' AND status <> 'CANCELLED';
CREATE INDEX ix_tenant_orders_analytics_pending ON {s}.orders (created_at)
  WHERE analytics_pending;
CREATE INDEX ix_tenant_orders_created_at ON {s}.orders (created_at);
CREATE INDEX ix_tenant_orders_ready_at ON {s}.orders (ready_at);
CREATE INDEX ix_tenant_orders_status_changed_at ON {s}.orders (status, status_changed_at);
CREATE INDEX ix_tenant_orders_status_created_at ON {s}.orders (status, created_at);
CREATE TABLE {s}.settings (singleton boolean PRIMARY KEY DEFAULT true,
  document jsonb NOT NULL DEFAULT '{{}}', CONSTRAINT settings_singleton CHECK (singleton));
CREATE TABLE {s}.board_version (stripe smallint PRIMARY KEY,
  version bigint NOT NULL DEFAULT 0,
  CONSTRAINT board_version_stripe CHECK (stripe >= 0 AND stripe < 16));
CREATE TABLE {s}.menu_version (singleton boolean PRIMARY KEY DEFAULT true,
  version bigint NOT NULL DEFAULT 0, CONSTRAINT menu_version_singleton CHECK (singleton));
CREATE TABLE {s}.login_failures (scope varchar, email varchar, address varchar,
  failures integer NOT NULL, expires_at timestamptz NOT NULL,
  PRIMARY KEY (scope, email, address));
CREATE INDEX ix_tenant_login_failures_expires_at ON {s}.login_failures (expires_at);
CREATE TABLE {s}.notifications (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key varchar NOT NULL UNIQUE, channel varchar NOT NULL, event varchar NOT NULL, order_id uuid,
  recipient varchar NOT NULL, status varchar NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0, last_error text, response_status integer,
  created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz, claimed_until timestamptz,
  CONSTRAINT notifications_channel_check CHECK (channel IN ('email', 'webhook')),
  CONSTRAINT notifications_status_check CHECK (status IN ('pending', 'sent', 'failed')));
CREATE INDEX ix_tenant_notifications_created_at ON {s}.notifications (created_at);
CREATE TABLE {s}.webhook_endpoint (singleton boolean PRIMARY KEY DEFAULT true,
  url varchar NOT NULL, secret varchar NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT webhook_endpoint_singleton CHECK (singleton));
CREATE TABLE {s}.payment_events (id varchar(255) PRIMARY KEY, type varchar(100) NOT NULL,
  payment_intent_id varchar(255), received_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE {s}.refunds (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id uuid NOT NULL REFERENCES {s}.orders (id) ON DELETE CASCADE, amount bigint NOT NULL,
  reason text NOT NULL, requested_by varchar, status varchar NOT NULL DEFAULT 'pending',
  stripe_refund_id varchar(255), attempts integer NOT NULL DEFAULT 0, last_error text,
  created_at timestamptz NOT NULL DEFAULT now(), settled_at timestamptz,
  CONSTRAINT refunds_amount_check CHECK (amount > 0),
  CONSTRAINT refunds_status_check CHECK (status IN ('pending', 'succeeded', 'failed')));
CREATE INDEX ix_tenant_refunds_order_id ON {s}.refunds (order_id);
CREATE TABLE {s}.alembic_version (version_num varchar(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
INSERT INTO {s}.alembic_version VALUES ('head');
INSERT INTO {s}.board_version SELECT stripe, 0 FROM generate_series(0, 15) AS stripe;
INSERT INTO {s}.menu_version DEFAULT VALUES;
INSERT INTO {s}.settings DEFAULT VALUES;
"""


def raw_provision(connection: psycopg.Connection, index: int, prefix: str = "raw") -> None:
    """The floor: the same DDL and seed, hand-written, one transaction, one connection: the
    registry row, one script (schema, tables, indexes, the version, board and settings rows),
    the admin, then the starter menu's categories and items (3 and 10)."""
    schema = f'"tenant_{prefix}{index}"'
    with connection.transaction():
        connection.execute(
            "INSERT INTO public.tenants (name, schema_name, domain) VALUES (%s, %s, %s)",
            (f"Raw {index}", f"tenant_{prefix}{index}", f"{prefix}{index}.bench.localhost"),
        )
        connection.execute(RAW_DDL.format(s=schema))
        connection.execute(
            f"INSERT INTO {schema}.users (email, hashed_password, full_name) VALUES (%s, %s, %s)",
            (f"admin@{prefix}{index}", FIXED_HASH, "Administrator"),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {schema}.categories (name, rank) VALUES "
                + ", ".join(f"(%s, {rank})" for rank in range(len(STARTER_CATEGORIES)))
                + " RETURNING id",
                STARTER_CATEGORIES,
            )
            categories = [row[0] for row in cursor.fetchall()]
            cursor.executemany(
                f"INSERT INTO {schema}.menu_items (category_id, name, description, price, "
                "allergens) VALUES (%s, %s, %s, %s, %s)",
                [(categories[rank], *item) for rank, *item in STARTER_ITEMS],
            )


# The starter menu ours seeds (no option groups, no uncategorised items): read from its file.
STARTER_MENU = json.loads((REPOSITORY / "omniorder" / "data" / "starter_menu.json").read_text())
assert not STARTER_MENU.get("items") and not any(
    item["option_groups"] for category in STARTER_MENU["categories"] for item in category["items"]
), "raw_provision seeds categories and items only"
STARTER_CATEGORIES = [category["name"] for category in STARTER_MENU["categories"]]
STARTER_ITEMS = [
    (rank, item["name"], item["description"], item["price"], item["allergens"])
    for rank, category in enumerate(STARTER_MENU["categories"])
    for item in category["items"]
]


def _schema_shape(connection: psycopg.Connection, schema: str) -> dict:
    """Every table, column (type, length, nullability, default, identity), constraint, index
    and row count of one schema, with the schema's name taken out."""
    queries = {
        "tables": "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
        "columns": (
            "SELECT table_name, column_name, data_type, udt_name, character_maximum_length, "
            "is_nullable, column_default, is_identity, identity_start, identity_generation "
            "FROM information_schema.columns WHERE table_schema = %s"
        ),
        "constraints": (
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = %s"
        ),
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s",
    }
    strip = lambda value: str(value).replace(f'"{schema}".', "").replace(f"{schema}.", "")  # noqa: E731
    shape = {
        name: sorted(tuple(map(strip, row)) for row in connection.execute(sql, (schema,)))
        for name, sql in queries.items()
    }
    shape["rows"] = sorted(
        (table, connection.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0])
        for (table,) in shape["tables"]
    )
    return shape


def check_raw_baseline(server: str | None = None) -> None:
    """Provision one tenant each way in a scratch database and compare the two schemas
    table by table, column by column, constraint by constraint, index by index, and the rows
    seeded into each table; raise, naming every difference, when the hand-written baseline no
    longer builds what the models build."""
    with scratch_database("provcheck", server) as scratch:
        app = bench_app(scratch)
        migrate_public(app)
        provision(app, 0, "check")
        with app.app_context():
            from omniorder.core.database import db

            db.engine.dispose()
        with psycopg.connect(conninfo(scratch), autocommit=True) as connection:
            raw_provision(connection, 0, "rawcheck")
            ours = _schema_shape(connection, "tenant_check0")
            raw = _schema_shape(connection, "tenant_rawcheck0")
    differences = [
        f"{kind}: {'models only' if row in ours[kind] else 'raw only'}: {row}"
        for kind in ours
        for row in sorted(set(ours[kind]) ^ set(raw[kind]))
    ]
    if differences:
        raise AssertionError(
            "bench/provisioning.py RAW_DDL no longer builds what the models build:\n"
            + "\n".join(differences)
        )


def cold_first_tenant(url: str) -> float:
    """The 1st tenant in a fresh process, import and app creation excluded."""
    code = (
        "import time\n"
        "from bench.common import bench_app\n"
        "from bench.provisioning import provision\n"
        f"app = bench_app({url!r})\n"
        "started = time.perf_counter()\n"
        "provision(app, 0, 'cold')\n"
        "print((time.perf_counter() - started) * 1000)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip().splitlines()[-1])


def interleaved(app, url: str, sample: int, label: str) -> dict:
    """`sample` tenants of ours and `sample` raw ones, alternating tenant by tenant (which goes
    first alternates), at the database's current catalog size. Ours runs on the app's pool as
    the app would; raw on a connection opened for this sample (the floor: a backend that has
    checked no other tenant's foreign keys, see "Provisioning at 2,000" in bench/README.md)."""
    ours, raw = [], []
    with psycopg.connect(conninfo(url)) as connection:
        for index in range(sample):
            steps = [
                (ours, lambda index=index: provision(app, index, f"{label}o")),
                (raw, lambda index=index: raw_provision(connection, index, f"{label}r")),
            ]
            for samples, step in steps if index % 2 == 0 else steps[::-1]:
                samples.append(timed(step))
    return {
        "ours": summary(ours),
        "raw": summary(raw),
        "ratio": round(statistics.median(ours) / statistics.median(raw), 2),
    }


def at_scale(sizes: tuple[int, ...] = (200, 2000), sample: int = SCALE_SAMPLE) -> dict:
    """Ours vs raw interleaved at each catalog size of `sizes`, in one database filled by
    our service (tenants b0…), plus the fill's own latency per block of 100 tenants."""
    check_raw_baseline()
    report = {"sizes": {}, "fill_per_100_ms": []}
    with scratch_database("provscale") as url:
        app = bench_app(url)
        migrate_public(app)
        filled = 0
        for size in sizes:
            while filled < size:
                block = [
                    timed(lambda index=index: provision(app, index))
                    for index in range(filled, min(filled + 100, size))
                ]
                report["fill_per_100_ms"].append(round(statistics.median(block), 2))
                filled += len(block)
            report["sizes"][size] = interleaved(app, url, sample, f"s{size}")
        with app.app_context():
            from omniorder.core.database import db

            db.engine.dispose()
    return report


def run(runs: int = 3, sequence: int = SEQUENCE) -> dict:
    """Ours and the raw baseline interleaved tenant by tenant, so both see the same catalog
    size and the same state of the machine. First checks that the raw baseline still builds
    what the models build (fails otherwise)."""
    check_raw_baseline()
    results = {
        "cold_first_ms": [],
        "warm_first_ms": [],
        "nth_100_ms": [],
        "nth_200_ms": [],
        "per_tenant_ms": [],
        "raw_per_tenant_ms": [],
        "raw_nth_200_ms": [],
    }
    for _ in range(runs):
        with scratch_database("prov") as url:
            app = bench_app(url)
            migrate_public(app)
            results["cold_first_ms"].append(cold_first_tenant(url))
            for _ in range(5):
                results["warm_first_ms"].append(timed(lambda app=app: provision(app, 0, "warm")))
                drop(app, 0, "warm")
            ours, raw = [], []
            with psycopg.connect(conninfo(url)) as connection:
                for index in range(sequence):
                    ours.append(timed(lambda index=index, app=app: provision(app, index)))
                    raw.append(timed(lambda index=index: raw_provision(connection, index)))
            for nth in (100, 200):
                if len(ours) >= nth:
                    results[f"nth_{nth}_ms"].append(ours[nth - 1])
            if len(raw) >= 200:
                results["raw_nth_200_ms"].append(raw[199])
            results["per_tenant_ms"].append(sum(ours) / len(ours))
            results["raw_per_tenant_ms"].append(sum(raw) / len(raw))
            with app.app_context():
                from omniorder.core.database import db

                db.engine.dispose()
    report = {key: summary(values) for key, values in results.items() if values}
    report["ratio_per_tenant_vs_raw"] = round(
        report["per_tenant_ms"]["median_ms"] / report["raw_per_tenant_ms"]["median_ms"], 2
    )
    return report


if __name__ == "__main__":
    # python -m bench.provisioning [N]            ours vs raw over N tenants (50)
    # python -m bench.provisioning scale [200,2000] [40]   ours vs raw at each catalog size
    if sys.argv[1:2] == ["scale"]:
        sizes = tuple(int(size) for size in (sys.argv[2:3] or ["200,2000"])[0].split(","))
        sample = int(sys.argv[3]) if len(sys.argv) > 3 else SCALE_SAMPLE
        print(json.dumps(at_scale(sizes, sample), indent=2))
    else:
        print(
            json.dumps(
                run(runs=1, sequence=int(sys.argv[1]) if len(sys.argv) > 1 else 50), indent=2
            )
        )
