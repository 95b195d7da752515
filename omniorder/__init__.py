"""OmniOrder: schema-per-tenant ordering for restaurants."""

import logging
from pathlib import Path

from flask import Flask

from omniorder.config import Config, refuse_unsafe_secrets
from omniorder.core.json_input import JSONProvider
from omniorder.web.unit_of_work import UnitOfWorkFlask


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Config → extensions → tenancy hook → blueprints → CLI → error pages.

    The factory never touches the schema: Alembic owns it, through ``flask db upgrade``.
    """
    # Each writing request is one transaction, committed once at its end (web/unit_of_work.py).
    app = UnitOfWorkFlask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_object(Config)
    if test_config:
        app.config.from_mapping(test_config)
    refuse_unsafe_secrets(app.config, app.debug)
    app.json = JSONProvider(app)  # 2.0 is the integer 2, as in JSON Schema
    app.json.sort_keys = False
    configure_database(app)
    register_extensions(app)
    refuse_payment_keys_unreadable(app)
    register_tenancy(app)
    register_blueprints(app)
    register_templating(app)
    register_commands(app)
    register_error_handlers(app)
    register_security(app)
    register_middleware(app)
    return app


def configure_database(app: Flask) -> None:
    """Use DATABASE_URL, or the embedded PostgreSQL under the instance folder (started by the
    first connection, in `register_extensions`, so commands without a database start none)."""
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        from omniorder.core.embedded_postgres import embedded_url

        app.config["OMNIORDER_EMBEDDED_POSTGRES"] = Path(app.instance_path) / "postgres"
        app.config["SQLALCHEMY_DATABASE_URI"] = embedded_url(
            app.config["OMNIORDER_EMBEDDED_POSTGRES"]
        )
    if app.config.get("OMNIORDER_PGBOUNCER"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register_extensions(app: Flask) -> None:
    """Bind the database (with every capability's tables on its metadata), CSRF protection,
    staff logins and the order rate limit to this app."""
    import omniorder.models  # noqa: F401  (each capability declares its own tables)
    from omniorder.core.database import db
    from omniorder.languages import serving as languages
    from omniorder.staff.sessions import login_manager
    from omniorder.web import ratelimit
    from omniorder.web.extensions import csrf

    db.init_app(app)
    if app.config.get("OMNIORDER_EMBEDDED_POSTGRES"):
        from omniorder.core.embedded_postgres import start_on_first_connect

        with app.app_context():
            start_on_first_connect(db.engine, app.config["OMNIORDER_EMBEDDED_POSTGRES"])
    app.teardown_appcontext(close_session_even_if_the_database_died)
    csrf.init_app(app)
    login_manager.init_app(app)
    ratelimit.init_app(app)
    languages.init_app(app)  # Flask-Babel: each request's language (omniorder/languages/)


def refuse_payment_keys_unreadable(app: Flask) -> None:
    """OMNIORDER_ENCRYPTION_KEYS must hold Fernet keys; production must have them when any
    restaurant holds sealed payment keys (omniorder/settings/payments.py)."""
    from omniorder.settings.payments import refuse_sealed_secrets_without_key

    refuse_sealed_secrets_without_key(app)


def close_session_even_if_the_database_died(error=None) -> None:
    """End the request's session before Flask-SQLAlchemy's own teardown does. If PostgreSQL
    died under the request, the rollback fails too; SQLAlchemy has already invalidated the
    connection, so the failure is logged and the response (a 503) still goes out."""
    from sqlalchemy.exc import DBAPIError

    from omniorder.core.database import db

    try:
        db.session.remove()
    except DBAPIError as failure:
        logging.getLogger(__name__).warning(
            "session closed on a dead connection: %s", str(failure).splitlines()[0]
        )


def register_tenancy(app: Flask) -> None:
    """The one before_request hook that binds each request to its tenant schema."""
    from omniorder.web import hosts as http

    http.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Health, system API (tenant-free) and the tenant-facing blueprints."""
    from omniorder.blueprints import (
        admin,
        api,
        auth,
        kitchen,
        media,
        platform,
        print_api,
        signup,
        storefront,
        sysapi,
    )

    app.register_blueprint(platform.bp)
    app.register_blueprint(sysapi.bp)
    app.register_blueprint(signup.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(print_api.bp)
    app.register_blueprint(storefront.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(kitchen.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(media.bp)


def register_templating(app: Flask) -> None:
    """The bound tenant and its theme for every template; the `money` and `local_time`
    filters in the restaurant's currency, locale and time zone; `media_url` and
    `media_srcset` for its photos (with the ``media/_picture.html`` macro)."""
    from omniorder.media import photos
    from omniorder.settings import templating

    templating.init_app(app)
    photos.init_app(app)


def register_commands(app: Flask) -> None:
    """``flask tenants …``, ``flask db …`` and ``flask demo``."""
    from omniorder.analytics import archive_cli
    from omniorder.analytics import cli as analytics_cli
    from omniorder.cluster import cli as cluster_cli
    from omniorder.jobs import cli as jobs_cli
    from omniorder.menu import cli as menu_cli
    from omniorder.platform import cli as tenants_cli
    from omniorder.printing import cli as print_cli
    from omniorder.tenancy import cli as db_cli

    app.cli.add_command(tenants_cli.tenants_cli)
    app.cli.add_command(tenants_cli.demo_command)
    app.cli.add_command(tenants_cli.platform_cli)
    app.cli.add_command(db_cli.db_cli)
    app.cli.add_command(analytics_cli.analytics_cli)
    app.cli.add_command(archive_cli.orders_cli)
    app.cli.add_command(menu_cli.menu_cli)
    app.cli.add_command(jobs_cli.worker_command)
    app.cli.add_command(jobs_cli.jobs_cli)
    app.cli.add_command(cluster_cli.cluster_cli)
    app.cli.add_command(print_cli.print_cli)


def register_middleware(app: Flask) -> None:
    """WSGI layers around Flask, innermost first: the unchanged kitchen poll answered before
    Flask (through the view's own `answer_poll`), an unchanged pickup-screen poll, a menu the
    worker holds answered from its memory (the view's own bytes and ETag), bad Host headers
    refused with a 400, and ProxyFix for exactly OMNIORDER_PROXY_HOPS trusted proxies,
    outermost, so both layers inside it see the host and client address the proxy forwarded."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from omniorder.blueprints.api import held_menu
    from omniorder.blueprints.kitchen.poll import unchanged_poll
    from omniorder.blueprints.storefront.pickup_screen import unchanged_pickup_screen
    from omniorder.web.hosts import RefuseBadHost
    from omniorder.web.shortcuts import Shortcut

    app.wsgi_app = Shortcut(app, app.wsgi_app, "kitchen.board_poll", unchanged_poll)
    app.wsgi_app = Shortcut(app, app.wsgi_app, "api.menu", held_menu)
    app.wsgi_app = Shortcut(
        app, app.wsgi_app, "storefront.pickup_screen_poll", unchanged_pickup_screen
    )
    app.wsgi_app = RefuseBadHost(app.wsgi_app)
    hops = app.config.get("OMNIORDER_PROXY_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_security(app: Flask) -> None:
    """Security headers and the CSP nonce on every response; the input checks on every request;
    text answers to reads compressed (never a form's answer: web/compression.py)."""
    from omniorder.web import compression, headers, input

    headers.init_app(app)
    input.init_app(app)
    compression.init_app(app)


def register_error_handlers(app: Flask) -> None:
    """Domain errors and HTTP errors → JSON under /api, a page elsewhere."""
    from omniorder.blueprints import errors

    errors.init_app(app)
