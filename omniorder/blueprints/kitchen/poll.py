"""The tablet's 2-second poll, answered by one function through two doors.

Almost every poll finds nothing changed, so `unchanged_poll` answers those 204 before Flask
(installed by `create_app`'s ``register_middleware`` through `omniorder.web.shortcuts`). It
and the `board_poll` view both decide with `answer_poll`: the same signed-session check, the
same tenant, the same one statement. The shortcut only ever says "unchanged"; anything else
(no or bad cookie, another tenant, an ended session, a changed board, a database error) goes
on to Flask, which answers it in full.
"""

import enum

from omniorder.kitchen import board as kitchen
from omniorder.kitchen.board import board_token
from omniorder.staff.sessions import staff_session_for
from omniorder.web.shortcuts import ShortAnswer, ShortRequest


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


def unchanged_poll(request: ShortRequest) -> ShortAnswer | None:
    """The 204 of an unchanged poll, before Flask; None for anything else."""
    since = request.arg("since")
    if not since or request.tenant is None:
        return None
    session_data = request.session_data()
    if session_data is None:
        return None
    if answer_poll(request.tenant, session_data, since, request.feed) is not PollAnswer.UNCHANGED:
        return None
    return "204 NO CONTENT", [("Vary", "Cookie")], []
