"""An operator's suspension of a restaurant: its storefront and customer API answer 503
("temporarily unavailable", with Retry-After), no order can be placed, staff still sign in
and see why; nothing is deleted, and `resume_tenant` puts it back as it was.

The state is two columns of the registry row (``public.tenants.suspended_at`` and
``suspended_reason``), not a setting in the restaurant's schema, because the registry is what
every worker already holds in memory and re-reads the moment it changes (the change feed's
"registry" notification; without a listening feed, within
``OMNIORDER_REGISTRY_CHECK_INTERVAL``): every worker refuses orders at once, the answers given
before Flask included, with no query per request. ``flask tenants suspend|resume`` and the
system API call these two functions, in the caller's unit of work.

Suspending a suspended restaurant is not an error: it keeps the time it was first suspended
and takes the new reason (an operator correcting the reason should not have to resume first).
"""

import datetime
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from omniorder.core.database import db
from omniorder.core.errors import NotFound, Unavailable
from omniorder.core.text_input import clean_line
from omniorder.core.unit_of_work import after_commit
from omniorder.tenancy.bind import current_tenant
from omniorder.tenancy.models import Tenant
from omniorder.tenancy.names import validate_domain
from omniorder.tenancy.registry import tenant_registry

MAX_REASON_LENGTH = 500
# What a refused customer's client is told to wait: a suspension has no planned end.
RETRY_AFTER_SECONDS = 3600


@dataclass(frozen=True)
class SuspensionState:
    domain: str
    suspended_at: datetime.datetime | None
    suspended_reason: str | None
    changed: bool  # False: it already was in that state

    @property
    def suspended(self) -> bool:
        return self.suspended_at is not None

    def as_json(self) -> dict:
        return {
            "domain": self.domain,
            "suspended": self.suspended,
            "suspended_at": self.suspended_at.isoformat() if self.suspended_at else None,
            "reason": self.suspended_reason,
        }


def _locked_row(domain):
    domain = validate_domain(domain)
    row = db.session.execute(
        select(Tenant.domain, Tenant.suspended_at, Tenant.suspended_reason)
        .where(Tenant.domain == domain)
        .with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFound(f"no tenant with domain {domain}")
    return row


def suspend_tenant(domain, reason) -> SuspensionState:
    """Suspend the restaurant at `domain` (`NotFound` when there is none) for `reason` (one
    line, required: staff see it on their banner)."""
    reason = clean_line("reason", reason, limit=MAX_REASON_LENGTH, required=True)
    row = _locked_row(domain)
    if row.suspended_at is not None and row.suspended_reason == reason:
        return SuspensionState(row.domain, row.suspended_at, reason, changed=False)
    suspended_at = db.session.execute(
        update(Tenant)
        .where(Tenant.domain == row.domain)
        .values(
            suspended_at=func.coalesce(Tenant.suspended_at, func.now()),
            suspended_reason=reason,
        )
        .returning(Tenant.suspended_at)
    ).scalar_one()
    after_commit(tenant_registry().invalidate)
    return SuspensionState(row.domain, suspended_at, reason, changed=row.suspended_at is None)


def resume_tenant(domain) -> SuspensionState:
    """Lift the suspension of the restaurant at `domain` (nothing to do when it has none)."""
    row = _locked_row(domain)
    if row.suspended_at is None:
        return SuspensionState(row.domain, None, None, changed=False)
    db.session.execute(
        update(Tenant)
        .where(Tenant.domain == row.domain)
        .values(suspended_at=None, suspended_reason=None)
    )
    after_commit(tenant_registry().invalidate)
    return SuspensionState(row.domain, None, None, changed=True)


def refuse_while_suspended() -> None:
    """`Unavailable` (503 + Retry-After) when the bound restaurant is suspended: the customer
    blueprints' first check, and `place_order`'s, so no order is ever placed meanwhile. The
    reason is for its staff, not its customers."""
    tenant = current_tenant()
    if tenant.suspended:
        raise Unavailable(
            _(
                "%(restaurant)s is temporarily unavailable. Please try again later.",
                restaurant=tenant.name,
            ),
            RETRY_AFTER_SECONDS,
        )
