"""The platform's own jobs: the sign-up's confirmation mail, and forgetting sign-ups never
confirmed (platform/signup.py).

It belongs to no restaurant (there is none yet), so it is a `platform_task` without an outbox
row: the job reads the pending sign-up and mints its link in one short transaction, then sends
with no transaction open, through the same SMTP setup (or instance/outbox) and the same backoff
as the restaurants' mail (notifications/mail_tasks.py). A sign-up confirmed or replaced since
the job was deferred gets no mail. The mail is in the language the sign-up page was served in
(`language`, given when the job is deferred).
"""

import logging
import uuid
from email.headerregistry import Address
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from omniorder.core.database import db
from omniorder.core.unit_of_work import unit_of_work
from omniorder.jobs.engine import periodic_task, platform_task
from omniorder.languages import SHIPPED, SOURCE_LANGUAGE
from omniorder.notifications.mail import MailChannel, Refused, compose, storefront_url
from omniorder.notifications.mail_tasks import MAX_ATTEMPTS, MailBackoff
from omniorder.platform import signup
from omniorder.platform.models import Signup

log = logging.getLogger(__name__)
SENDER = "OmniOrder"


@platform_task(name="send_signup_email", queue="mail", retry=MailBackoff(), own_transactions=True)
def send_signup_email(signup_id: str, language: str = SOURCE_LANGUAGE) -> str:
    """Send the confirmation link of a sign-up still pending, in `language`; what became of
    it."""
    app = current_app._get_current_object()
    with unit_of_work():
        pending = db.session.get(Signup, uuid.UUID(signup_id))
        if pending is None or pending.confirmed_at is not None:
            return "skipped"
        with force_locale(language if language in SHIPPED else SOURCE_LANGUAGE):
            message, address = confirmation_message(app, pending), pending.email
    try:
        MailChannel(app, MAX_ATTEMPTS).send((message, f"signup:{signup_id}"))
    except Refused as error:  # the same message would be refused again: nothing to retry
        log.warning("sign-up mail to %s refused: %s", address, error)
        return "refused"
    return "sent"


def confirmation_message(app, pending: Signup) -> EmailMessage:
    context = {
        "restaurant": pending.restaurant_name,
        "domain": signup.domain_for(pending.subdomain),
        "action_url": storefront_url(
            app, signup.platform_host(), "signup.confirm", token=signup.make_token(pending.id)
        ),
        "hours": int(signup.RESERVED_FOR.total_seconds() // 3600),
    }
    message = EmailMessage()
    message["Subject"] = _(
        "Confirm your sign-up for %(restaurant)s", restaurant=pending.restaurant_name
    )
    message["To"] = Address(addr_spec=pending.email)
    return compose(app, message, f"signup:{pending.id}", SENDER, "signup_confirm", context)


@periodic_task(
    "signup-cleanup",
    "OMNIORDER_SIGNUP_CLEANUP_CRON",
    "43 * * * *",
    "delete sign-ups not confirmed within 24 h (their address and password hash)",
)
def signup_cleanup(timestamp: int) -> int:
    """`signup.forget_expired_signups`, hourly."""
    return signup.forget_expired_signups()
