"""Answers given before Flask: the two requests that are nearly all of the traffic.

Profiling showed Flask's per-request machinery (request context, URL matching, the session
object, before/after hooks) costing more than the work of a warm menu or an unchanged kitchen
poll, so `Shortcut`, a WSGI middleware installed by `create_app`'s ``register_middleware``,
lets each of them be answered first. It is the same pipeline as a request through Flask, not
a second one: the tenant comes from the same registry by the same host rule (`ShortRequest`),
the session cookie is read with the app's own serializer, the answer comes from a function that
lives beside the view it mirrors (and that the view itself uses), and the security headers are
the ones every response carries. A shortcut only ever answers what it is sure of; anything
else (no tenant yet, a cold cache, a database error) goes on to Flask, which answers it in full.
"""

from collections.abc import Callable
from functools import cached_property
from urllib.parse import parse_qs

from flask import Flask
from itsdangerous import BadSignature
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_cookie
from werkzeug.wsgi import get_host

from omniorder.cache.changes import ChangeFeed, change_feed
from omniorder.tenancy.registry import REGISTRY, TenantRecord
from omniorder.web.headers import security_headers
from omniorder.web.hosts import tenant_for_host

# What an answer function gives back: status line, headers, body chunks; or None (ask Flask).
ShortAnswer = tuple[str, list[tuple[str, str]], list[bytes]]


class ShortRequest:
    """What an answer before Flask may look at, each part resolved once and only if asked."""

    def __init__(self, app: Flask, environ: dict):
        self.app = app
        self.environ = environ

    @cached_property
    def tenant(self) -> TenantRecord | None:
        """The tenant of this Host, once this worker's registry exists (its first request made
        it); None when it does not yet or no restaurant is served there."""
        registry = self.app.extensions.get(REGISTRY)
        return None if registry is None else tenant_for_host(registry, get_host(self.environ))

    @cached_property
    def feed(self) -> ChangeFeed | None:
        return change_feed(self.app)

    def arg(self, name: str) -> str | None:
        values = parse_qs(self.environ.get("QUERY_STRING", "")).get(name)
        return values[0] if values else None

    def session_data(self) -> dict | None:
        """What Flask's SecureCookieSessionInterface.open_session would load; None without a
        cookie, {} for a cookie that is not ours."""
        cookie = parse_cookie(self.environ).get(self.app.config["SESSION_COOKIE_NAME"])
        if not cookie:
            return None
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        try:
            return serializer.loads(
                cookie, max_age=int(self.app.permanent_session_lifetime.total_seconds())
            )
        except BadSignature:
            return {}


AnswerFunction = Callable[["ShortRequest"], ShortAnswer | None]


class Shortcut:
    """WSGI middleware: GET requests for `endpoint` answered by `answer` before Flask when it
    can (it returns a `ShortAnswer`); everything else goes on to Flask."""

    def __init__(
        self,
        app: Flask,
        wsgi_app,
        endpoint: str,
        answer: Callable[[ShortRequest], ShortAnswer | None],
    ):
        self.app = app
        self.wsgi_app = wsgi_app
        self.path = app.url_map.bind("").build(endpoint)
        self.answer = answer

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == self.path and environ.get("REQUEST_METHOD") == "GET":
            try:
                answered = self.answer(ShortRequest(self.app, environ))
            except SQLAlchemyError:
                answered = None  # Flask answers it (503, or 404 for a dropped tenant)
            if answered is not None:
                status, headers, body = answered
                start_response(status, [*headers, *security_headers()])
                return body
        return self.wsgi_app(environ, start_response)
