"""Tables only: the public registry and the per-tenant tables."""

from omniorder.models.public import DailySales, JobError, RegistryVersion, Tenant
from omniorder.models.tenant import (
    ORDER_STATUSES,
    ROLES,
    TENANT_TABLES,
    BoardVersion,
    Category,
    LoginFailure,
    MenuItem,
    Notification,
    Option,
    OptionGroup,
    Order,
    RestaurantSettings,
    User,
    WebhookEndpoint,
)

__all__ = [
    "ORDER_STATUSES",
    "ROLES",
    "TENANT_TABLES",
    "BoardVersion",
    "Category",
    "DailySales",
    "JobError",
    "LoginFailure",
    "MenuItem",
    "Notification",
    "Option",
    "OptionGroup",
    "Order",
    "RegistryVersion",
    "RestaurantSettings",
    "Tenant",
    "User",
    "WebhookEndpoint",
]
