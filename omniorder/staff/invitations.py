"""Staff who choose their own password: invitations by e-mail and password resets.

An admin invites an address with a role: the account exists at once, without a password
(`accounts.INVITED`), and the invitee gets an e-mail with a link (staff/links.py) to a page
on the restaurant's own host where they choose one; until then nobody can log in as them.
"Forgot your password?" sends the same kind of link to an account's address, and answers the
same whether the address has an account or not. Every mail goes through the outbox and the
job engine (notifications/outbox.py `staff_email`), deferred in the caller's transaction;
the job writes the link when it writes the message.

Services here flush; the request commits.
"""

import uuid

from flask_babel import gettext as _
from sqlalchemy import select

from omniorder.core.database import db
from omniorder.core.errors import Conflict
from omniorder.notifications.outbox import staff_email
from omniorder.staff import accounts, links
from omniorder.staff.models import User
from omniorder.tenancy.bind import current_tenant

EVENT = {links.INVITE: "staff.invite", links.RESET: "staff.reset"}


def invite_staff(email, role, full_name=None) -> User:
    """A new member who cannot log in yet, and their invitation on its way."""
    user = accounts.create_staff(email, role, full_name)
    staff_email(EVENT[links.INVITE], user.id, user.email)
    return user


def _invited(user_id) -> User:
    user = accounts._staff_member(user_id)
    if not accounts.is_invited(user):
        raise Conflict(_("%(email)s has joined already.", email=user.email))
    return user


def resend_invitation(user_id) -> User:
    """A new invitation; the links sent before it stop working."""
    user = _invited(user_id)
    user.hashed_password = accounts.invited_placeholder()
    staff_email(EVENT[links.INVITE], user.id, user.email)
    db.session.flush()
    return user


def cancel_invitation(user_id) -> User:
    """Forget an invitation that was not taken up: its links name nobody any more."""
    user = _invited(user_id)
    db.session.delete(user)
    db.session.flush()
    return user


def send_reset_link(user_id) -> User:
    """An admin's "Send a reset link": the member chooses the new password themselves."""
    user = accounts._staff_member(user_id)
    if accounts.is_invited(user):
        raise Conflict(
            _("%(email)s has not joined yet: resend the invitation instead.", email=user.email)
        )
    staff_email(EVENT[links.RESET], user.id, user.email)
    return user


def request_password_reset(email: str) -> None:
    """Send a reset link when `email` has an account here; the caller answers the same either
    way (whether an address has an account is nobody's business)."""
    user_id = db.session.scalar(select(User.id).where(User.email == email))
    if user_id is not None:
        staff_email(EVENT[links.RESET], user_id, email)


def _user(user_id: uuid.UUID, lock: bool = False) -> User | None:
    query = select(User).where(User.id == user_id)
    return db.session.scalars(query.with_for_update() if lock else query).one_or_none()


def open_link(purpose: str, token: str) -> User:
    """The member a link is for while it still works (the page with the password form); else
    the domain error that says why (staff/links.py)."""
    claim = links.read_token(purpose, token, current_tenant().id)
    return links.check_fingerprint(purpose, claim, _user(claim.user_id))


def set_password_from_link(purpose: str, token: str, password) -> User:
    """Set the password a working link allows; the row is locked first, so of two uses of
    one link the second finds it used. Ends the member's other sessions."""
    claim = links.read_token(purpose, token, current_tenant().id)
    user = links.check_fingerprint(purpose, claim, _user(claim.user_id, lock=True))
    return accounts.set_password(user, password)
