"""Every background task, one module per capability (procrastinate imports this package).

Tasks are thin: each calls a service, bound to its restaurant (`omniorder.jobs.tenant_task`)
or over the whole platform (`platform_task`). `flask jobs status` lists them.
"""

from omniorder.tasks import (
    mail,  # noqa: F401
    maintenance,  # noqa: F401
    webhooks,  # noqa: F401
)
