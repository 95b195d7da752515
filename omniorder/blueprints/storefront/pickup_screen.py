"""The pickup screen's page and its poll (`/pickup-screen`): no login, the restaurant's theme.

Almost every poll finds nothing changed, so `unchanged_pickup_screen` answers those 204 before
Flask (installed by `create_app`'s ``register_middleware``, like the board's poll), from the
worker's pushed board version: no statement. Anything else (no token, a suspended restaurant,
a changed board, a cold cache's database error) goes on to Flask, which answers in full."""

from flask import make_response, render_template, request

from omniorder.blueprints.storefront.routes import bp
from omniorder.cache.changes import change_feed
from omniorder.kitchen.board import board_token, held_board_version
from omniorder.kitchen.pickup_screen import pickup_screen
from omniorder.settings.document import current_settings
from omniorder.tenancy.bind import current_tenant
from omniorder.web.shortcuts import ShortAnswer, ShortRequest

POLL_SECONDS = 1  # a number reaches Ready on the TV within 2 s of the bump
NOINDEX = ("X-Robots-Tag", "noindex")


def screen_context() -> dict:
    screen = pickup_screen(current_settings()["pickup_screen_names"])
    return {"screen": screen, "token": board_token(screen.version), "poll_seconds": POLL_SECONDS}


@bp.get("/pickup-screen")
def pickup_screen_page():
    response = make_response(render_template("storefront/pickup_screen.html", **screen_context()))
    response.headers.set(*NOINDEX)
    return response


@bp.get("/pickup-screen/orders")
def pickup_screen_poll():
    """The screen's poll: 204 while nothing changed, else the columns to swap in."""
    tenant = current_tenant()
    if request.args.get("since") == board_token(held_board_version(tenant, change_feed())):
        return "", 204, [NOINDEX]
    response = make_response(
        render_template("storefront/_pickup_screen_columns.html", **screen_context())
    )
    response.headers.set(*NOINDEX)
    return response


def unchanged_pickup_screen(request: ShortRequest) -> ShortAnswer | None:
    """The 204 of an unchanged pickup-screen poll, before Flask; None for anything else."""
    since = request.arg("since")
    tenant = request.tenant
    if not since or tenant is None or tenant.suspended:
        return None
    if since != board_token(held_board_version(tenant, request.feed)):
        return None
    return "204 NO CONTENT", [NOINDEX], []
