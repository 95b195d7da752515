"""Staff accounts of the bound tenant: passwords, logins with throttling, roles.

Failed logins are counted in the tenant's ``login_failures`` table, not in process memory:
every gunicorn worker sees the same count (an attacker cannot multiply attempts by the number
of workers), it survives restarts, and it needs no extra service. After 5 failures within 15
minutes an email is refused (429) until 15 minutes after its last failure. Unknown emails are
hashed against a dummy hash, so a wrong email takes as long as a wrong password.
"""

import secrets
import uuid
from datetime import timedelta
from functools import cache

import bcrypt
from flask import current_app
from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from omniorder.errors import Conflict, DomainError, Invalid, NotFound
from omniorder.extensions import db
from omniorder.models import ROLES, LoginFailure, User

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8
WRONG_CREDENTIALS = "Wrong email or password."


class TooManyAttempts(DomainError):
    status_code = 429


class WrongCredentials(DomainError):
    status_code = 401


def hash_password(password: str) -> str:
    rounds = current_app.config["BCRYPT_ROUNDS"]
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


@cache
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds))


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def validate_email(email, field: str = "email") -> str:
    if not isinstance(email, str) or not email.strip():
        raise Invalid(field, "is required")
    email = email.strip().lower()
    local, _, host = email.partition("@")
    if not local or "." not in host or len(email) > 254 or not email.isprintable() \
            or any(c.isspace() for c in email):
        raise Invalid(field, "must be an email address")
    return email


def validate_password(password, field: str = "password") -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(field, f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password.encode()) > 72:
        raise Invalid(field, "must be at most 72 bytes (a bcrypt limit)")
    return password


def authenticate(email: str, password: str) -> User:
    """The staff member with these credentials, or WrongCredentials / TooManyAttempts."""
    email = (email or "").strip().lower()[:254]
    failures = db.session.execute(
        select(LoginFailure.failures, func.now() - LoginFailure.last_failed_at)
        .where(LoginFailure.email == email)).first()
    if failures and failures[0] >= MAX_FAILURES and failures[1] < LOCKOUT:
        minutes = max(1, round((LOCKOUT - failures[1]).total_seconds() / 60))
        raise TooManyAttempts(f"Too many failed logins. Try again in {minutes} min.")
    user = db.session.scalars(select(User).where(User.email == email)).one_or_none()
    stored = user.hashed_password.encode() if user else \
        _dummy_hash(current_app.config["BCRYPT_ROUNDS"])
    if bcrypt.checkpw((password or "").encode()[:72], stored) and user is not None:
        db.session.execute(delete(LoginFailure).where(LoginFailure.email == email))
        db.session.commit()
        return user
    recent = LoginFailure.last_failed_at > func.now() - LOCKOUT
    db.session.execute(
        insert(LoginFailure).values(email=email, failures=1, last_failed_at=func.now())
        .on_conflict_do_update(index_elements=[LoginFailure.email], set_={
            "failures": case((recent, LoginFailure.failures + 1), else_=1),
            "last_failed_at": func.now()}))
    db.session.commit()
    raise WrongCredentials(WRONG_CREDENTIALS)


def list_staff() -> list[User]:
    order = case({role: rank for rank, role in enumerate(ROLES)}, value=User.role)
    return list(db.session.scalars(select(User).order_by(order, User.email)))


def _role(role) -> str:
    if role not in ROLES:
        raise Invalid("role", f"must be one of {', '.join(ROLES)}")
    return role


def create_staff(email, role, full_name=None, password=None) -> tuple[User, str | None]:
    """A new staff member; returns the generated password (shown once) when none was given."""
    email = validate_email(email)
    role = _role(role)
    generated = None
    if password:
        password = validate_password(password)
    else:
        password = generated = generate_password()
    full_name = (full_name or "").strip()[:100] or None
    user = User(email=email, role=role, full_name=full_name,
                hashed_password=hash_password(password))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"{email} is already on the staff") from None
    return user, generated


def _staff_member(user_id) -> User:
    try:
        user = db.session.get(User, uuid.UUID(str(user_id)))
    except ValueError:
        user = None
    if user is None:
        raise NotFound("No such staff member.")
    return user


def _guard_last_admin(user: User) -> None:
    """Lock the admins' rows, so two admins demoting each other cannot both succeed."""
    admins = db.session.scalars(
        select(User.id).where(User.role == "admin").with_for_update()).all()
    if user.role == "admin" and admins == [user.id]:
        db.session.rollback()
        raise Conflict(f"{user.email} is the last admin; make someone else admin first.")


def change_role(user_id, role) -> User:
    role = _role(role)
    user = _staff_member(user_id)
    if role != "admin":
        _guard_last_admin(user)
        db.session.refresh(user)
    user.role = role
    db.session.commit()
    return user


def reset_password(user_id) -> tuple[User, str]:
    user = _staff_member(user_id)
    password = generate_password()
    user.hashed_password = hash_password(password)
    db.session.commit()
    return user, password


def remove_staff(user_id) -> User:
    user = _staff_member(user_id)
    _guard_last_admin(user)
    db.session.delete(user)
    db.session.commit()
    return user
