"""Staff accounts of the bound tenant: passwords, throttled logins, roles, ended sessions.

Login throttling. Failures are counted in the tenant's ``login_failures`` table, not in process
memory: every gunicorn worker sees the same counts (an attacker cannot multiply attempts by
the number of workers), they survive restarts, and they need no extra service. Three limits,
each a window that starts at its first failure:

* 5 failures per (email, client address) per 15 minutes: stops a guesser at one address
  without locking the owner, who signs in from another one;
* 20 failures per client address per 15 minutes, over all emails: one address can neither
  spray passwords over many emails nor keep the server hashing (bcrypt is what a login costs);
* 100 failures per email per hour, over all addresses: caps distributed guessing. One address
  can fail at most 80 times an hour, so reaching it takes several busy addresses, and then the
  email is refused from everywhere until the hour is over; that is the price of the cap.

Every attempt is counted BEFORE any hashing, by one statement in its own short transaction
(`_count_attempt_in_own_transaction`): it locks the attempt's rows, refuses if any limit is
reached, and otherwise counts the attempt against all three, all or nothing. Rows are locked
in one order, so concurrent workers queue instead of all reading "4 failures" and all
guessing: the limits are exact, and a refused attempt costs no bcrypt and counts nowhere.
The count is committed before the password is checked, so the failed login's rollback (an
error answer rolls its request back) cannot undo it; a correct password hands its attempt
back (`_hand_back_attempt`, in the request's unit of work) and clears that (email, address)
pair. Purging: every counted attempt also deletes up to 100 expired rows, in the same short
transaction (`_purge_expired_failures`); an attempt adds at most 3 rows, so the table holds
little more than the last hour's attempts. No command or cron job is needed. Unknown emails
are hashed against a dummy hash, so a wrong email takes as long as a wrong password.

Services here change the session and flush; the request (or `unit_of_work()`) commits.

The client address is the caller's business: the login view passes the client's network
(``ratelimit.request_network``: an IPv4 address, or the /64 of an IPv6 one, since one subscriber
holds a whole /64), from ``request.remote_addr``, which ProxyFix takes from X-Forwarded-For when
``OMNIORDER_PROXY_HOPS`` > 0.
"""

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import bcrypt
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    DateTime,
    Integer,
    Interval,
    String,
    bindparam,
    case,
    column,
    delete,
    func,
    literal,
    select,
    true,
    tuple_,
    update,
    values,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from omniorder.core.database import db, get_or_404
from omniorder.core.errors import Conflict, DomainError, Invalid
from omniorder.core.text_input import clean_line
from omniorder.core.unit_of_work import separate_transaction
from omniorder.languages import SHIPPED
from omniorder.staff.models import ROLES, LoginFailure, User
from omniorder.tenancy.bind import current_tenant

MIN_PASSWORD_LENGTH = 8
MAX_FULL_NAME = 100
WRONG_CREDENTIALS = "Wrong email or password."
# The password "hash" of an invited member who has not chosen a password yet: no bcrypt hash
# starts with it, so nothing can log in with it; its random tail changes with each new
# invitation, which retires the links sent before (staff/links.py).
INVITED = "!invited:"


@dataclass(frozen=True)
class Limit:
    failures: int
    window: timedelta


PAIR, ADDRESS, EMAIL = "email+address", "address", "email"
LIMITS = {
    PAIR: Limit(5, timedelta(minutes=15)),
    ADDRESS: Limit(20, timedelta(minutes=15)),
    EMAIL: Limit(100, timedelta(hours=1)),
}
PURGE_BATCH = 100


class TooManyAttempts(DomainError):
    status_code = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


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


def invited_placeholder() -> str:
    return INVITED + secrets.token_hex(8)


def is_invited(user: User) -> bool:
    """Invited and not yet joined: the account cannot log in until its password is set."""
    return user.hashed_password.startswith(INVITED)


def validate_email(email, field: str = "email") -> str:
    if not isinstance(email, str) or not email.strip():
        raise Invalid(field, _("is required"))
    email = email.strip().lower()
    local, _at, host = email.partition("@")
    if (
        not local
        or "." not in host
        or len(email) > 254
        or not email.isprintable()
        or any(c.isspace() for c in email)
    ):
        raise Invalid(field, _("must be an email address"))
    return email


def validate_password(password, field: str = "password") -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(field, _("must be at least %(limit)s characters", limit=MIN_PASSWORD_LENGTH))
    if len(password.encode()) > 72:
        raise Invalid(field, _("must be at most 72 bytes (a bcrypt limit)"))
    return password


# --- logins -------------------------------------------------------------------------------


def _limit_keys(email: str, address: str) -> list[tuple[str, str, str]]:
    """(scope, email, address) of the rows an attempt counts against, in locking order."""
    return sorted([(PAIR, email, address), (ADDRESS, "", address), (EMAIL, email, "")])


def _count_attempt_statement(email: str, address: str):
    """The one statement that checks the limits and counts the attempt; returns one row
    (allowed, when the blocking window ends, now, rows counted). The last column is only
    there so that the counting CTE is part of the statement at all."""
    failures = LoginFailure.__table__
    key = tuple_(failures.c.scope, failures.c.email, failures.c.address)
    cap = case({scope: limit.failures for scope, limit in LIMITS.items()}, value=failures.c.scope)
    # Lock every existing row of this attempt, in key order (no deadlocks between workers);
    # reading them through an aggregate makes PostgreSQL read, and lock, all of them.
    blocking = (failures.c.expires_at > func.now()) & (failures.c.failures >= cap)
    locked = (
        select(failures.c.expires_at, blocking.label("blocking"))
        .where(key.in_(_limit_keys(email, address)))
        .order_by(failures.c.scope, failures.c.email, failures.c.address)
        .with_for_update()
        .cte("locked")
    )
    verdict = select(
        func.coalesce(func.bool_and(~locked.c.blocking), true()).label("allowed"),
        func.max(case((locked.c.blocking, locked.c.expires_at))).label("blocked_until"),
    ).cte("verdict")
    attempt = values(
        column("scope", String),
        column("email", String),
        column("address", String),
        column("window", Interval),
        name="attempt",
    ).data([(*row, LIMITS[row[0]].window) for row in _limit_keys(email, address)])
    counted = insert(failures).from_select(
        ["scope", "email", "address", "failures", "expires_at"],
        select(
            attempt.c.scope,
            attempt.c.email,
            attempt.c.address,
            literal(1, Integer),
            func.now() + attempt.c.window,
        )
        .where(select(verdict.c.allowed).scalar_subquery())
        .order_by(attempt.c.scope, attempt.c.email, attempt.c.address),
    )
    # A bound moment, not now(): Citus refuses non-IMMUTABLE functions in DO UPDATE SET on a
    # distributed table (a tenant's schema on a cluster); the app's clock is as good here.
    running = failures.c.expires_at > bindparam(
        "now", datetime.now(UTC), type_=DateTime(timezone=True)
    )
    counted = (
        counted.on_conflict_do_update(
            index_elements=[failures.c.scope, failures.c.email, failures.c.address],
            set_={
                "failures": case((running, failures.c.failures + 1), else_=1),
                "expires_at": case(
                    (running, failures.c.expires_at), else_=counted.excluded.expires_at
                ),
            },
        )
        .returning(failures.c.scope)
        .cte("counted")
    )
    return select(
        verdict.c.allowed,
        verdict.c.blocked_until,
        func.now(),
        select(func.count()).select_from(counted).scalar_subquery(),
    )


def _count_attempt_in_own_transaction(email: str, address: str) -> None:
    """Count a login attempt against every limit, or refuse it (TooManyAttempts), before any
    hashing. Committed at once, in its own transaction: a failed login must stay counted
    although its request (a 401) is rolled back."""
    with separate_transaction(current_tenant().engine) as connection:
        allowed, blocked_until, now, _counted = connection.execute(
            _count_attempt_statement(email, address)
        ).one()
        if allowed:
            _purge_expired_failures(connection)
    if not allowed:
        seconds = max(1, math.ceil((blocked_until - now).total_seconds()))
        raise TooManyAttempts(
            _(
                "Too many failed logins. Try again in %(minutes)s min.",
                minutes=math.ceil(seconds / 60),
            ),
            seconds,
        )


def _hand_back_attempt(email: str, address: str) -> None:
    """A correct password was not a failure: take its count back, and forget the pair's
    earlier failures (the owner's typos). The email's count is only lowered, never cleared,
    so the owner signing in does not hand a distributed guesser a fresh hour."""
    failures = LoginFailure.__table__
    key = tuple_(failures.c.scope, failures.c.email, failures.c.address)
    locked = (
        select(failures.c.scope, failures.c.email, failures.c.address)
        .where(key.in_(_limit_keys(email, address)))
        .order_by(failures.c.scope, failures.c.email, failures.c.address)
        .with_for_update()
        .cte("locked")
    )
    db.session.execute(
        update(failures)
        .where(key == tuple_(locked.c.scope, locked.c.email, locked.c.address))
        .values(
            failures=case(
                (failures.c.scope == PAIR, 0), else_=func.greatest(failures.c.failures - 1, 0)
            )
        )
    )


def _purge_expired_failures(connection) -> None:
    """Delete up to PURGE_BATCH rows whose window is over; rows another login holds are
    skipped, never waited for."""
    failures = LoginFailure.__table__
    key = tuple_(failures.c.scope, failures.c.email, failures.c.address)
    expired = (
        select(failures.c.scope, failures.c.email, failures.c.address)
        .where(failures.c.expires_at <= func.now())
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)
        .subquery("expired")
    )
    # DELETE … USING, not WHERE (a, b, c) IN (SELECT …), which Citus cannot send to a worker
    connection.execute(
        delete(failures).where(key == tuple_(expired.c.scope, expired.c.email, expired.c.address))
    )


def authenticate(email: str, password: str, address: str | None) -> User:
    """The staff member with these credentials, or WrongCredentials / TooManyAttempts.

    `address` is the client's address, one of the keys the failures are counted by."""
    email = (email or "").strip().lower()[:254]
    address = (address or "unknown")[:64]
    _count_attempt_in_own_transaction(email, address)
    user = db.session.scalars(select(User).where(User.email == email)).one_or_none()
    usable = user is not None and not is_invited(user)  # an invitee has no password yet
    stored = (
        user.hashed_password.encode()
        if usable
        else _dummy_hash(current_app.config["BCRYPT_ROUNDS"])
    )
    if not bcrypt.checkpw((password or "").encode()[:72], stored) or not usable:
        raise WrongCredentials(WRONG_CREDENTIALS)
    _hand_back_attempt(email, address)
    return user


# --- staff --------------------------------------------------------------------------------


def list_staff() -> list[User]:
    """Everyone who has joined (invitations still open: `pending_invitations`)."""
    order = case({role: rank for rank, role in enumerate(ROLES)}, value=User.role)
    return list(
        db.session.scalars(
            select(User)
            .where(~User.hashed_password.startswith(INVITED))
            .order_by(order, User.email)
        )
    )


def pending_invitations() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.hashed_password.startswith(INVITED)).order_by(User.email)
        )
    )


def _role(role) -> str:
    if role not in ROLES:
        raise Invalid("role", _("must be one of %(choices)s", choices=", ".join(ROLES)))
    return role


def create_staff(email, role, full_name=None, password=None) -> User:
    """A new staff member: with `password` (the CLI, the system API, tests), or invited
    (None): then the account cannot log in until the invitee sets one (staff/invitations.py)."""
    email = validate_email(email)
    role = _role(role)
    hashed = hash_password(validate_password(password)) if password else invited_placeholder()
    full_name = clean_line("full_name", full_name, limit=MAX_FULL_NAME)
    user = User(email=email, role=role, full_name=full_name, hashed_password=hashed)
    try:
        with db.session.begin_nested():  # a taken email leaves the unit of work usable
            db.session.add(user)
    except IntegrityError:
        raise Conflict(_("%(email)s is already on the staff or invited", email=email)) from None
    return user


def _staff_member(user_id) -> User:
    return get_or_404(User, user_id, _("No such staff member."))


def _guard_last_admin(user: User) -> None:
    """Lock the admins' rows, so two admins demoting each other cannot both succeed."""
    admins = db.session.scalars(
        select(User.id)
        .where(User.role == "admin", ~User.hashed_password.startswith(INVITED))
        .with_for_update()
    ).all()
    if user.role == "admin" and admins == [user.id]:
        raise Conflict(
            _("%(email)s is the last admin; make someone else admin first.", email=user.email)
        )


def _end_sessions_of(user: User) -> None:
    """Every session id names the version it was issued at (auth.py): moving it on ends
    them all, on every device, at their next request or poll."""
    user.session_version = User.session_version + 1


def change_role(user_id, role) -> User:
    """A new role; it ends the member's sessions, so it applies from their next sign-in."""
    role = _role(role)
    user = _staff_member(user_id)
    if role != "admin":
        _guard_last_admin(user)
        db.session.refresh(user)
    if user.role != role:
        user.role = role
        _end_sessions_of(user)
    db.session.flush()
    return user


def change_language(user_id, language) -> User:
    """The language of the member's board and back office: a shipped one, or "" for the
    restaurant's default. It applies from their next page (the session reads it each time)."""
    if language not in ("", *SHIPPED):
        raise Invalid("language", _("must be one of %(languages)s", languages=", ".join(SHIPPED)))
    user = _staff_member(user_id)
    user.language = language or None
    db.session.flush()
    return user


def set_password(user: User, password) -> User:
    """A new password chosen by its owner (through an e-mailed link); whoever held a session
    of this member is out, and the link that set it can never set it again."""
    user.hashed_password = hash_password(validate_password(password))
    _end_sessions_of(user)
    db.session.flush()
    db.session.refresh(user)  # the new session version, for the session that follows
    return user


def end_sessions(user_id) -> User:
    """Log a staff member out everywhere (logout, "Log out everywhere")."""
    user = _staff_member(user_id)
    _end_sessions_of(user)
    db.session.flush()
    return user


def remove_staff(user_id) -> User:
    """Delete a member; with the row go their sessions (nothing left for them to match)."""
    user = _staff_member(user_id)
    _guard_last_admin(user)
    db.session.delete(user)
    db.session.flush()
    return user
