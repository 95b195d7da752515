"""Every table of the app, imported once so SQLAlchemy's metadata knows them all.

Each capability declares its own tables (`menu/models.py`, `ordering/models.py` …); the
factory and Alembic's env.py import this module so that the metadata is complete before
anything reads it. Tenancy never imports a capability: it finds the tenant tables in the
metadata (`omniorder.tenancy.schema.tenant_tables`).
"""

from omniorder.analytics.models import DailySales
from omniorder.jobs.models import JobError
from omniorder.menu.models import (
    Category,
    ItemOptionGroup,
    MenuItem,
    MenuVersion,
    Option,
    OptionGroup,
)
from omniorder.notifications.models import Notification, WebhookEndpoint
from omniorder.ordering.models import BoardVersion, Order
from omniorder.payments.models import PaymentEvent, Refund
from omniorder.platform.models import Signup, SignupInvite
from omniorder.printing.models import PrintDevice, PrintJob
from omniorder.settings.models import RestaurantSettings, SecretHolder
from omniorder.staff.models import LoginFailure, User
from omniorder.tenancy.models import RegistryVersion, Tenant

__all__ = [
    "BoardVersion",
    "Category",
    "DailySales",
    "ItemOptionGroup",
    "JobError",
    "LoginFailure",
    "MenuItem",
    "MenuVersion",
    "Notification",
    "Option",
    "OptionGroup",
    "Order",
    "PaymentEvent",
    "PrintDevice",
    "PrintJob",
    "Refund",
    "RegistryVersion",
    "RestaurantSettings",
    "SecretHolder",
    "Signup",
    "SignupInvite",
    "Tenant",
    "User",
    "WebhookEndpoint",
]
