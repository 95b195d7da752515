"""Staff sessions: flask-login, scoped to the tenant that issued them, revocable, role checks.

The id flask-login keeps in the signed session is ``<tenant id>:<user id>:<session version>``.
The loader accepts it only on the tenant it names, so a session cookie carried from
pizza.localhost to sushi.localhost is anonymous there even if a user with the same id exists.

A signed cookie cannot be taken back, so the version is what makes sessions revocable: the
loader (and the kitchen poll) accept the session only while it equals the user's
``session_version``, read in the same one statement that loads the user. Logout, a password
reset, a role change and "Log out everywhere" raise the version (staff/accounts.py), which
ends every session of that person, copied cookies included; removal deletes the row.
"""

import uuid
from dataclasses import dataclass
from functools import wraps
from typing import NamedTuple

from flask import abort, g, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user
from sqlalchemy import select

from omniorder.core.database import db
from omniorder.staff.models import User

ROLE_LEVEL = {"kitchen": 1, "manager": 2, "admin": 3}

login_manager = LoginManager()
login_manager.session_protection = None  # the tenant check below is our binding


@dataclass(frozen=True)
class StaffMember(UserMixin):
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    role: str
    full_name: str | None
    session_version: int
    language: str | None = None  # None: the restaurant's default (languages/serving.py)

    def get_id(self) -> str:
        return f"{self.tenant_id}:{self.id}:{self.session_version}"

    def may(self, role: str) -> bool:
        return ROLE_LEVEL[self.role] >= ROLE_LEVEL[role]


def staff_member(user: User) -> StaffMember:
    return StaffMember(
        user.id,
        g.tenant.id,
        user.email,
        user.role,
        user.full_name,
        user.session_version,
        user.language,
    )


class StaffSession(NamedTuple):
    """Who a signed session names on this tenant, and which of their sessions it is."""

    user_id: uuid.UUID
    version: int


def staff_session_for(tenant, session_data) -> StaffSession | None:
    """The staff session that a session's data signs in on `tenant`, or None (no tenant,
    another tenant's session, nobody signed in, an id from before session versions)."""
    parts = str(session_data.get("_user_id") or "").split(":")
    if tenant is None or len(parts) != 3 or parts[0] != str(tenant.id):
        return None
    _, user_id, version = parts
    if not (version.isascii() and version.isdigit() and len(version) <= 9):
        return None
    try:
        return StaffSession(uuid.UUID(user_id), int(version))
    except ValueError:
        return None


def staff_session_from_cookie() -> StaffSession | None:
    """The signed-in staff session for THIS tenant, read from the session without a query."""
    return staff_session_for(g.get("tenant"), session)


@login_manager.user_loader
def load_staff(_session_id: str) -> StaffMember | None:
    """The signed-in staff member, only while the session's version is still theirs."""
    signed = staff_session_from_cookie()
    if signed is None:
        return None
    user = db.session.scalars(
        select(User).where(User.id == signed.user_id, User.session_version == signed.version)
    ).one_or_none()
    return staff_member(user) if user is not None else None


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def login_redirect():
    """Anonymous: to /login?next=<this page>; for htmx, tell the page to go there."""
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if is_htmx():
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def staff_required(role: str):
    """Signed-in staff of at least `role` (kitchen < manager < admin); else login or 403."""

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_redirect()
            if not current_user.may(role):
                abort(403, description="Your role does not allow this page.")
            return view(*args, **kwargs)

        return guarded

    return decorator


def safe_next(target: str | None) -> str | None:
    """Only local paths are followed after login: no scheme, no host, no //evil.example."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(character) < 32 for character in target):
        return None
    return target
