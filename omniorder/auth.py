"""Staff sessions: flask-login, scoped to the tenant that issued them, and role checks.

The id flask-login keeps in the signed session is ``<tenant id>:<user id>``. The loader
accepts it only on the tenant it names, so a session cookie carried from pizza.localhost to
sushi.localhost is anonymous there even if a user with the same id exists.
"""

import uuid
from dataclasses import dataclass
from functools import wraps

from flask import abort, g, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user

from omniorder.extensions import db
from omniorder.models import User

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

    def get_id(self) -> str:
        return f"{self.tenant_id}:{self.id}"

    def may(self, role: str) -> bool:
        return ROLE_LEVEL[self.role] >= ROLE_LEVEL[role]


def staff_member(user: User) -> StaffMember:
    return StaffMember(user.id, g.tenant.id, user.email, user.role, user.full_name)


def staff_id_for(tenant, session_data) -> uuid.UUID | None:
    """The staff id a session's data signs in on `tenant`, or None (no tenant, another
    tenant's session, nobody signed in)."""
    raw = session_data.get("_user_id") or ""
    tenant_id, _, user_id = raw.partition(":")
    if tenant is None or tenant_id != str(tenant.id):
        return None
    try:
        return uuid.UUID(user_id)
    except ValueError:
        return None


def staff_id_from_session() -> uuid.UUID | None:
    """The signed-in staff id for THIS tenant, read from the session without a query."""
    return staff_id_for(g.get("tenant"), session)


@login_manager.user_loader
def load_staff(_session_id: str) -> StaffMember | None:
    staff_id = staff_id_from_session()
    if staff_id is None:
        return None
    user = db.session.get(User, staff_id)
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
