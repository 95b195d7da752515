"""The tablet's 2-second poll, answered by one function through two doors.

Almost every poll finds nothing changed. Profiling showed Flask's per-request machinery
(request context, URL matching, the session object, before/after hooks) costing more than the
poll's one statement, so `UnchangedPollShortcut`, a WSGI middleware installed by
`create_app`'s ``register_middleware``, answers those polls 204 before Flask. It and the
`board_poll` view both decide with `answer_poll`: the same signed-session check (the cookie
read with the app's own serializer), the same tenant, the same one statement. The shortcut
only ever says "unchanged"; anything else (no or bad cookie, another tenant, an ended session,
a changed board, a database error) goes on to Flask, which answers it in full.
"""

import enum
from urllib.parse import parse_qs

from flask import Flask
from itsdangerous import BadSignature
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_cookie
from werkzeug.wsgi import get_host

from omniorder.cache.changes import change_feed
from omniorder.kitchen import board as kitchen
from omniorder.kitchen.board import board_token
from omniorder.staff.sessions import staff_session_for
from omniorder.tenancy.names import normalize_host
from omniorder.tenancy.registry import REGISTRY
from omniorder.web.headers import security_headers


class PollAnswer(enum.Enum):
    UNCHANGED = "204: the tablet keeps what it shows"
    CHANGED = "the board, to swap in"
    NOT_SIGNED_IN = "to the login page"
    SESSION_ENDED = "signed out, then to the login page"


def answer_poll(tenant, session_data, since: str | None, feed) -> PollAnswer:
    """What a poll from this signed session, showing board token `since`, should hear; one
    statement (board version + is this session still one of the kitchen's), none while the
    worker's change `feed` listens and holds both."""
    signed = staff_session_for(tenant, session_data)
    if signed is None:
        return PollAnswer.NOT_SIGNED_IN
    version, allowed = kitchen.poll(tenant, signed.user_id, signed.version, feed)
    if not allowed:
        return PollAnswer.SESSION_ENDED
    return PollAnswer.UNCHANGED if since == board_token(version) else PollAnswer.CHANGED


class UnchangedPollShortcut:
    """WSGI middleware: an unchanged poll answered 204 without entering Flask."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.path = app.url_map.bind("").build("kitchen.board_poll")
        self.serializer = None

    def __call__(self, environ, start_response):
        if (
            environ.get("PATH_INFO") == self.path
            and environ.get("REQUEST_METHOD") == "GET"
            and self.unchanged(environ)
        ):
            start_response("204 NO CONTENT", [*security_headers(), ("Vary", "Cookie")])
            return []
        return self.wsgi_app(environ, start_response)

    def unchanged(self, environ) -> bool:
        registry = self.app.extensions.get(REGISTRY)  # made by the first request
        since = parse_qs(environ.get("QUERY_STRING", "")).get("since")
        cookie = parse_cookie(environ).get(self.app.config["SESSION_COOKIE_NAME"])
        if registry is None or not since or not cookie:
            return False
        try:
            tenant = registry.lookup(normalize_host(get_host(environ)))
            answer = answer_poll(tenant, self.session_data(cookie), since[0], change_feed(self.app))
            return answer is PollAnswer.UNCHANGED
        except SQLAlchemyError:
            return False  # Flask answers it (503, or 404 for a dropped tenant)

    def session_data(self, cookie: str) -> dict:
        """What Flask's SecureCookieSessionInterface.open_session would load."""
        if self.serializer is None:
            self.serializer = self.app.session_interface.get_signing_serializer(self.app)
        try:
            return self.serializer.loads(
                cookie, max_age=int(self.app.permanent_session_lifetime.total_seconds())
            )
        except BadSignature:
            return {}
